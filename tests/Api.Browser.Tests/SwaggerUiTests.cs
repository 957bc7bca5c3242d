using System.Text.Json;
using System.Text.RegularExpressions;
using Api.Tests.TestKit;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Api.Browser.Tests;

/// <summary>
/// What a user of Swagger UI sees and does, in the words of README's "Swagger UI" section: open
/// /swagger, Authorize as <c>frontend</c> against the dev issuer, Execute GET /api/private-scoped,
/// then Logout and try again as <c>partner</c>. Buttons are found by the text the README names.
/// </summary>
public sealed class SwaggerUiTests(SwaggerUiFixture fixture) : IClassFixture<SwaggerUiFixture>, IAsyncDisposable
{
    private IBrowserContext? context;

    private const string Audience = "https://api.example.com"; // appsettings.Development.json
    private const string ScopedMessage = "Hello from a private endpoint! You need to be authenticated and have a permission of read:messages to see this.";
    private const string ClientCredentialsSection = "Auth0 (OAuth2, clientCredentials)";

    [Fact]
    public async Task On_load_every_operation_is_listed_with_its_summary_and_the_permission_it_needs()
    {
        var page = await OpenSwaggerUiAsync();

        foreach (var path in new[] { "/api/public", "/api/private", "/api/private-scoped", "/api/me" })
        {
            var summary = Operation(page, path).Locator(".opblock-summary-description");
            await Expect(summary).ToBeVisibleAsync();
            await Expect(summary).Not.ToBeEmptyAsync();
        }

        await Expect(Operation(page, "/api/private-scoped").Locator(".opblock-summary-description"))
            .ToContainTextAsync("This endpoint needs the permission 'read:messages'.");
    }

    [Fact]
    public async Task Readme_steps_get_200_as_frontend_then_403_as_partner_after_Logout()
    {
        var page = await OpenSwaggerUiAsync();

        // 1. "Press Authorize. In the Auth0 (OAuth2, clientCredentials) section enter client_id
        // frontend and client_secret frontend-dev-secret, press Authorize, then Close."
        await Press(page.Locator(".scheme-container"), "Authorize").ClickAsync();
        var tokenRequest = await AuthorizeAsync(page, "frontend", "frontend-dev-secret");

        // 2. "Click GET /api/private-scoped to open it and press Execute: 200."
        var response = await OpenAndExecuteAsync(page, "/api/private-scoped");
        await Expect(response.Locator(".response-col_status")).ToHaveTextAsync(new Regex("^\\s*200"));
        await Expect(response.Locator(".response-col_description")).ToContainTextAsync(ScopedMessage);

        // The token request Auth0 documents: everything in the form body, the audience included,
        // which Swagger UI alone would not send.
        var form = System.Web.HttpUtility.ParseQueryString(tokenRequest.PostData ?? "");
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal("frontend", form["client_id"]);
        Assert.Equal("frontend-dev-secret", form["client_secret"]);
        Assert.Equal(Audience, form["audience"]);
        Assert.Null(form["scope"]);
        Assert.DoesNotContain("authorization", (await tokenRequest.AllHeadersAsync()).Keys);

        // 3. "press Authorize again and, in the same section, Logout first (until then it shows the
        // signed-in client, not the fields). Replace client_id and client_secret with partner /
        // partner-dev-secret, press Authorize, then Close, and Execute again: 403".
        await Press(page.Locator(".scheme-container"), "Authorize").ClickAsync();
        var section = Section(page, ClientCredentialsSection);
        await Expect(section.GetByLabel("client_id")).ToHaveCountAsync(0);
        await Press(section, "Logout").ClickAsync();
        await AuthorizeAsync(page, "partner", "partner-dev-secret");

        response = await ExecuteAsync(Operation(page, "/api/private-scoped"));
        await Expect(response.Locator(".response-col_status")).ToHaveTextAsync(new Regex("^\\s*403"));
        await Expect(response.Locator(".response-col_description")).ToContainTextAsync("read:messages");

        // The 403 the page documents is the one the API answered, field for field.
        var answered = await JsonOf(response.Locator(".highlight-code pre"));
        var documented = await JsonOf(Operation(page, "/api/private-scoped").Locator("tr.response[data-code='403'] .model-example pre.example"));
        Assert.Equal(Members(answered), Members(documented));
        foreach (var member in answered.EnumerateObject().Where(m => m.Name != "traceId"))
        {
            Assert.True(JsonElement.DeepEquals(member.Value, documented.GetProperty(member.Name)), $"{member.Name}: answered {member.Value}, documented {documented.GetProperty(member.Name)}");
        }
    }

    [Fact]
    public async Task Client_credentials_section_offers_no_scopes_to_tick()
    {
        var page = await OpenSwaggerUiAsync();

        await Press(page.Locator(".scheme-container"), "Authorize").ClickAsync();

        var section = Section(page, ClientCredentialsSection);
        await Expect(section.GetByLabel("client_id")).ToBeVisibleAsync();
        await Expect(section.Locator("input[type=checkbox]")).ToHaveCountAsync(0);
        await Expect(page.Locator(".modal-ux").GetByText("Select which ones you want to grant")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task With_a_SPA_client_id_sign_in_goes_to_authorize_with_PKCE_and_the_audience()
    {
        BrowserTests.RequireChromium();
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["Swagger__ClientId"] = "spa-client-id" });
        var page = await OpenSwaggerUiAsync(api);
        // The dev issuer has no sign-in page; the request Swagger UI makes for it is what matters.
        await page.Context.RouteAsync("**/authorize?**", route => route.FulfillAsync(new() { Body = "sign-in page" }));

        await Press(page.Locator(".scheme-container"), "Authorize").ClickAsync();
        var section = Section(page, "authorizationCode with PKCE");
        await Expect(section.Locator("input#client_id_authorizationCode")).ToHaveValueAsync("spa-client-id");
        await Expect(section.Locator("input#client_secret_authorizationCode")).ToHaveValueAsync("");
        // For a user's sign-in a ticked permission goes into the token's scope (README).
        var scope = section.Locator(".scopes .checkbox").Filter(new() { HasText = "read:messages" });
        await Expect(scope).ToBeVisibleAsync();
        await scope.Locator("label").ClickAsync();
        var signIn = await page.RunAndWaitForPopupAsync(() => Press(section, "Authorize").ClickAsync());

        var authorize = new Uri(signIn.Url);
        var query = System.Web.HttpUtility.ParseQueryString(authorize.Query);
        Assert.Equal($"{api.BaseAddress.AbsoluteUri}authorize", authorize.GetLeftPart(UriPartial.Path));
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("spa-client-id", query["client_id"]);
        Assert.Equal(Audience, query["audience"]);
        Assert.Equal("read:messages", query["scope"]);
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

    /// <summary>
    /// In the open dialog's client-credentials section: enter client_id and client_secret, press
    /// Authorize, see "Authorized", press Close. Returns the token request the browser sent.
    /// </summary>
    private static async Task<IRequest> AuthorizeAsync(IPage page, string clientId, string secret)
    {
        var dialog = page.Locator(".modal-ux");
        var section = Section(page, ClientCredentialsSection);
        await section.GetByLabel("client_id").FillAsync(clientId);
        await section.GetByLabel("client_secret").FillAsync(secret);

        var tokenRequest = await page.RunAndWaitForRequestFinishedAsync(
            () => Press(section, "Authorize").ClickAsync(),
            new() { Predicate = r => r.Method == "POST" && r.Url.Contains("/oauth/token", StringComparison.Ordinal) });
        // Swagger UI shows either "Authorized" or the token endpoint's error.
        var authorized = section.GetByRole(AriaRole.Heading, new() { Name = "Authorized" });
        var error = section.Locator(".errors");
        await Expect(authorized.Or(error)).ToBeVisibleAsync();
        if (await error.IsVisibleAsync())
        {
            Assert.Fail($"Authorize failed: {await error.InnerTextAsync()}");
        }

        await Press(section, "Close").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        return tokenRequest;
    }

    /// <summary>Clicks the operation's summary line to open it, then Execute.</summary>
    private static async Task<ILocator> OpenAndExecuteAsync(IPage page, string path)
    {
        var operation = Operation(page, path);
        await operation.Locator(".opblock-summary-path").ClickAsync();
        return await ExecuteAsync(operation);
    }

    /// <summary>Presses Execute in an open operation, which is ready for it: no "Try it out" first.</summary>
    private static async Task<ILocator> ExecuteAsync(ILocator operation)
    {
        await Expect(Press(operation, "Try it out")).ToHaveCountAsync(0);
        await Press(operation, "Execute").ClickAsync();
        var response = operation.Locator(".live-responses-table .response");
        await Expect(response).ToBeVisibleAsync();
        return response;
    }

    private static ILocator Operation(IPage page, string path) =>
        page.Locator(".opblock").Filter(new() { Has = page.Locator($".opblock-summary-path[data-path='{path}']") });

    /// <summary>The dialog's section under the heading a user reads, e.g. "Auth0 (OAuth2, clientCredentials)".</summary>
    private static ILocator Section(IPage page, string heading) =>
        page.Locator(".modal-ux .auth-container").Filter(new() { Has = page.Locator("h4", new() { HasText = heading }) });

    /// <summary>The button a user knows by its text (Swagger UI's accessible names differ: "Apply credentials", "Remove authorization").</summary>
    private static ILocator Press(ILocator within, string text) =>
        within.Locator("button", new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(text)}\\s*$") });

    private static async Task<JsonElement> JsonOf(ILocator code)
    {
        using var json = JsonDocument.Parse(await code.InnerTextAsync());
        return json.RootElement.Clone();
    }

    private static string[] Members(JsonElement body) => [.. body.EnumerateObject().Select(m => m.Name)];

    public async ValueTask DisposeAsync()
    {
        if (context is not null)
        {
            await context.DisposeAsync();
        }
    }
}
