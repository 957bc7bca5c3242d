using System.Text.RegularExpressions;
using Api.Tests.TestKit;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Api.Browser.Tests;

/// <summary>
/// What a user of Swagger UI does: open /swagger, Authorize with client credentials against the
/// dev issuer, try GET /api/private-scoped, and read the answer in the page.
/// </summary>
public sealed class SwaggerUiTests(SwaggerUiFixture fixture) : IClassFixture<SwaggerUiFixture>, IAsyncDisposable
{
    private IBrowserContext? context;

    private const string Audience = "https://api.example.com"; // appsettings.Development.json
    private const string ScopedMessage = "Hello from a private endpoint! You need to be authenticated and have a permission of read:messages to see this.";

    [Fact]
    public async Task Frontend_authorized_with_client_credentials_gets_200_and_the_message()
    {
        var page = await OpenSwaggerUiAsync();

        var tokenRequest = await AuthorizeWithClientCredentialsAsync(page, "frontend", "frontend-dev-secret");
        var response = await TryPrivateScopedAsync(page);

        // The request Auth0 documents: everything in the form body, the audience included, which
        // Swagger UI alone would not send.
        var form = System.Web.HttpUtility.ParseQueryString(tokenRequest.PostData ?? "");
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal("frontend", form["client_id"]);
        Assert.Equal("frontend-dev-secret", form["client_secret"]);
        Assert.Equal(Audience, form["audience"]);
        Assert.DoesNotContain("authorization", (await tokenRequest.AllHeadersAsync()).Keys);
        await Expect(response.Locator(".response-col_status")).ToHaveTextAsync(new Regex("^\\s*200"));
        await Expect(response.Locator(".response-col_description")).ToContainTextAsync(ScopedMessage);
    }

    [Fact]
    public async Task Partner_without_the_permission_gets_403()
    {
        var page = await OpenSwaggerUiAsync();

        await AuthorizeWithClientCredentialsAsync(page, "partner", "partner-dev-secret");
        var response = await TryPrivateScopedAsync(page);

        await Expect(response.Locator(".response-col_status")).ToHaveTextAsync(new Regex("^\\s*403"));
        await Expect(response.Locator(".response-col_description")).ToContainTextAsync("read:messages");
    }

    [Fact]
    public async Task With_a_SPA_client_id_sign_in_goes_to_authorize_with_PKCE_and_the_audience()
    {
        BrowserTests.RequireChromium();
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["Swagger__ClientId"] = "spa-client-id" });
        var page = await OpenSwaggerUiAsync(api);
        // The dev issuer has no sign-in page; the request Swagger UI makes for it is what matters.
        await page.Context.RouteAsync("**/authorize?**", route => route.FulfillAsync(new() { Body = "sign-in page" }));

        await page.Locator(".scheme-container button.authorize").ClickAsync();
        var section = page.Locator(".modal-ux .auth-container").Filter(new() { HasText = "authorizationCode with PKCE" });
        await Expect(section.Locator("input#client_id_authorizationCode")).ToHaveValueAsync("spa-client-id");
        await Expect(section.Locator("input#client_secret_authorizationCode")).ToHaveValueAsync("");
        var signIn = await page.RunAndWaitForPopupAsync(() => section.Locator("button.authorize").ClickAsync());

        var authorize = new Uri(signIn.Url);
        var query = System.Web.HttpUtility.ParseQueryString(authorize.Query);
        Assert.Equal($"{api.BaseAddress.AbsoluteUri}authorize", authorize.GetLeftPart(UriPartial.Path));
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("spa-client-id", query["client_id"]);
        Assert.Equal(Audience, query["audience"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(query["code_challenge"]));
        Assert.Equal($"{api.BaseAddress.GetLeftPart(UriPartial.Authority)}/swagger/oauth2-redirect.html", query["redirect_uri"]);
    }

    /// <summary>A fresh browser context per test: no authorization carries over.</summary>
    private async Task<IPage> OpenSwaggerUiAsync(ApiProcess? api = null)
    {
        BrowserTests.RequireChromium();
        context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = (api ?? fixture.Api).BaseAddress.AbsoluteUri });
        context.SetDefaultTimeout((float)SwaggerUiFixture.PageTimeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/swagger");
        await Expect(page.Locator(".swagger-ui .information-container")).ToBeVisibleAsync();

        // The page must never carry a client secret, whatever the dialog is later fed.
        var html = await page.ContentAsync();
        Assert.DoesNotContain("frontend-dev-secret", html, StringComparison.Ordinal);
        Assert.DoesNotContain("partner-dev-secret", html, StringComparison.Ordinal);
        return page;
    }

    /// <summary>Authorize → the Auth0 scheme's client-credentials section → Authorize → Close.</summary>
    private static async Task<IRequest> AuthorizeWithClientCredentialsAsync(IPage page, string clientId, string secret)
    {
        await page.Locator(".scheme-container button.authorize").ClickAsync();
        var dialog = page.Locator(".modal-ux");
        var section = dialog.Locator(".auth-container").Filter(new() { HasText = "clientCredentials" });
        await section.Locator("input#client_id_clientCredentials").FillAsync(clientId);
        await section.Locator("input#client_secret_clientCredentials").FillAsync(secret);

        var tokenRequest = await page.RunAndWaitForRequestFinishedAsync(
            () => section.Locator("button.authorize").ClickAsync(),
            new() { Predicate = r => r.Method == "POST" && r.Url.Contains("/oauth/token", StringComparison.Ordinal) });
        // Swagger UI shows either "Authorized" or the token endpoint's error.
        var authorized = section.GetByRole(AriaRole.Heading, new() { Name = "Authorized" });
        var error = section.Locator(".errors");
        await Expect(authorized.Or(error)).ToBeVisibleAsync();
        if (await error.IsVisibleAsync())
        {
            Assert.Fail($"Authorize failed: {await error.InnerTextAsync()}");
        }

        await section.Locator("button.btn-done").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        return tokenRequest;
    }

    /// <summary>Expands GET /api/private-scoped, Try it out, Execute; returns the live response.</summary>
    private static async Task<ILocator> TryPrivateScopedAsync(IPage page)
    {
        // Tags start collapsed (docExpansion "none"): open the one holding the operation.
        var tag = page.Locator("h3.opblock-tag[data-tag='Api']");
        if (await tag.GetAttributeAsync("data-is-open") != "true")
        {
            await tag.ClickAsync();
        }

        var operation = page.Locator(".opblock").Filter(new() { Has = page.Locator(".opblock-summary-path[data-path='/api/private-scoped']") });
        await operation.Locator(".opblock-summary").First.ClickAsync();

        var tryItOut = operation.Locator("button.try-out__btn");
        if (await tryItOut.IsVisibleAsync() && (await tryItOut.InnerTextAsync()).Contains("Try it out", StringComparison.Ordinal))
        {
            await tryItOut.ClickAsync();
        }

        await operation.Locator("button.execute").ClickAsync();
        var response = operation.Locator(".live-responses-table .response");
        await Expect(response).ToBeVisibleAsync();
        return response;
    }

    public async ValueTask DisposeAsync()
    {
        if (context is not null)
        {
            await context.DisposeAsync();
        }
    }
}
