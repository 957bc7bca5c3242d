namespace Api.Browser.Tests;

internal static class BrowserTests
{
    /// <summary>
    /// Skips with the reason when this machine has no Chromium. On CI (CI=true) a missing browser
    /// fails instead: there .ci/install must have put it in place, and a skip would hide that.
    /// </summary>
    public static void RequireChromium()
    {
        if (SwaggerUiFixture.MissingChromium is not { } reason)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason);
        }

        Assert.Skip(reason);
    }
}
