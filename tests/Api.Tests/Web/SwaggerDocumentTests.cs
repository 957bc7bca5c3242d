using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Api.Tests.TestKit;

namespace Api.Tests.Web;

/// <summary>The OpenAPI document and the Swagger UI page, as a client or a user reads them.</summary>
public sealed partial class SwaggerDocumentTests(ApiFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<JsonElement> DocumentAsync(ApiFactory? api = null)
    {
        using var client = (api ?? fixture.Api).CreateClient();
        using var response = await client.GetAsync("/swagger/v1/swagger.json", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private static JsonElement Operation(JsonElement document, string path) =>
        document.GetProperty("paths").GetProperty(path).GetProperty("get");

    [Fact]
    public async Task Document_and_UI_are_served_without_a_token()
    {
        using var client = fixture.Api.CreateClient();
        using var document = await client.GetAsync("/swagger/v1/swagger.json", Cancel);
        using var ui = await client.GetAsync("/swagger/index.html", Cancel);
        using var root = await client.GetAsync("/swagger", Cancel);

        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal("text/html", ui.Content.Headers.ContentType?.MediaType);
        Assert.True(root.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect, $"/swagger answered {(int)root.StatusCode}");
    }

    [Fact]
    public async Task Bearer_scheme_takes_a_pasted_jwt()
    {
        var bearer = (await DocumentAsync()).GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");

        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        Assert.Equal("JWT", bearer.GetProperty("bearerFormat").GetString());
    }

    [Fact]
    public async Task OAuth2_scheme_gets_client_credentials_tokens_from_the_authority()
    {
        var auth0 = (await DocumentAsync()).GetProperty("components").GetProperty("securitySchemes").GetProperty("Auth0");
        var flows = auth0.GetProperty("flows");

        Assert.Equal("oauth2", auth0.GetProperty("type").GetString());
        Assert.Equal($"{fixture.Issuer.Authority.AbsoluteUri}oauth/token", flows.GetProperty("clientCredentials").GetProperty("tokenUrl").GetString());
        Assert.False(flows.TryGetProperty("authorizationCode", out _), "no authorization-code flow without Swagger:ClientId");
    }

    [Fact]
    public async Task Client_credentials_flow_offers_no_scope_checkboxes()
    {
        // Its token carries every permission granted to the client; a ticked scope could only narrow it.
        var clientCredentials = (await DocumentAsync()).GetProperty("components").GetProperty("securitySchemes")
            .GetProperty("Auth0").GetProperty("flows").GetProperty("clientCredentials");

        Assert.False(clientCredentials.TryGetProperty("scopes", out var scopes) && scopes.EnumerateObject().Any(), $"scopes: {scopes}");
    }

    [Fact]
    public async Task Protected_operations_accept_any_scheme_and_the_DPoP_only_one_DPoP_alone()
    {
        var document = await DocumentAsync();

        foreach (var path in new[] { "/api/private", "/api/private-scoped", "/api/me" })
        {
            Assert.Equal(["Bearer", "Auth0", "DPoP"], Security(document, path));
        }

        Assert.Equal(["DPoP"], Security(document, "/api/private-bound"));
    }

    [Fact]
    public async Task DPoP_scheme_is_described_beside_Bearer()
    {
        var dpop = (await DocumentAsync()).GetProperty("components").GetProperty("securitySchemes").GetProperty("DPoP");

        Assert.Equal("http", dpop.GetProperty("type").GetString());
        Assert.Equal("dpop", dpop.GetProperty("scheme").GetString());
        Assert.Contains("RFC 9449", dpop.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    private static string[] Security(JsonElement document, string path) =>
        [.. Operation(document, path).GetProperty("security").EnumerateArray()
            .Select(requirement => string.Join("+", requirement.EnumerateObject().Select(s => s.Name)))];

    [Fact]
    public async Task Anonymous_operations_have_no_security_and_no_401()
    {
        var publicOperation = Operation(await DocumentAsync(), "/api/public");

        Assert.False(publicOperation.TryGetProperty("security", out var security) && security.GetArrayLength() > 0);
        Assert.False(publicOperation.GetProperty("responses").TryGetProperty("401", out _));
        Assert.False(publicOperation.GetProperty("responses").TryGetProperty("403", out _));
    }

    [Fact]
    public async Task Permission_is_named_in_the_summary_line_and_listed_for_tools()
    {
        var scoped = Operation(await DocumentAsync(), "/api/private-scoped");

        Assert.EndsWith("This endpoint needs the permission 'read:messages'.", scoped.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var rule = scoped.GetProperty("x-required-permissions");
        Assert.Equal("any", rule.GetProperty("mode").GetString());
        Assert.Equal(["read:messages"], rule.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
    }

    [Theory]
    [InlineData("/api/public")]
    [InlineData("/api/private")]
    [InlineData("/api/private-scoped")]
    [InlineData("/api/me")]
    public async Task Each_route_has_a_summary_and_a_description(string path)
    {
        var operation = Operation(await DocumentAsync(), path);

        Assert.False(string.IsNullOrWhiteSpace(operation.TryGetProperty("summary", out var summary) ? summary.GetString() : null), $"{path} has no summary");
        Assert.False(string.IsNullOrWhiteSpace(operation.TryGetProperty("description", out var description) ? description.GetString() : null), $"{path} has no description");
    }

    [Fact]
    public async Task Operations_without_permissions_have_no_permission_rule_and_no_403()
    {
        var document = await DocumentAsync();

        foreach (var path in new[] { "/api/public", "/api/private", "/api/me" })
        {
            var operation = Operation(document, path);
            Assert.False(operation.TryGetProperty("x-required-permissions", out _), path);
            Assert.False(operation.GetProperty("responses").TryGetProperty("403", out _), path);
        }
    }

    [Fact]
    public async Task Refusals_are_documented_with_the_WWW_Authenticate_header()
    {
        var document = await DocumentAsync();
        var responses = new[]
        {
            Operation(document, "/api/private").GetProperty("responses").GetProperty("401"),
            Operation(document, "/api/private-scoped").GetProperty("responses").GetProperty("401"),
            Operation(document, "/api/private-scoped").GetProperty("responses").GetProperty("403"),
        };

        foreach (var response in responses)
        {
            Assert.True(response.GetProperty("headers").TryGetProperty("WWW-Authenticate", out _));
            Assert.True(response.GetProperty("content").TryGetProperty(ProblemJson.MediaType, out _));
        }
    }

    [Fact]
    public async Task Documented_401_without_a_token_is_the_body_the_API_answers()
    {
        var (example, schema) = Documented(await DocumentAsync(), "/api/private", "401", "missing_token");
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync("/api/private", Cancel);

        var body = await response.ReadProblemAsync(Cancel);
        AssertSameMembers(body, example, schema);
        AssertSameValues(body, example, except: ["traceId"]);
    }

    [Fact]
    public async Task Documented_401_for_an_expired_token_is_the_body_the_API_answers()
    {
        var (example, schema) = Documented(await DocumentAsync(), "/api/private", "401", "expired");
        using var client = fixture.Api.CreateClient(fixture.Tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddMinutes(-5))));
        using var response = await client.GetAsync("/api/private", Cancel);

        var body = await response.ReadProblemAsync(Cancel);
        AssertSameMembers(body, example, schema);
        // The detail names the token's own expiry.
        AssertSameValues(body, example, except: ["traceId", "detail"]);
    }

    [Fact]
    public async Task Documented_403_is_the_body_the_API_answers()
    {
        var (example, schema) = Documented(await DocumentAsync(), "/api/private-scoped", "403", "insufficient_permission");
        using var client = fixture.Api.CreateClient(fixture.Tokens.WithPermissions());
        using var response = await client.GetAsync("/api/private-scoped", Cancel);

        var body = await response.ReadProblemAsync(Cancel);
        AssertSameMembers(body, example, schema);
        AssertSameValues(body, example, except: ["traceId"]);
    }

    [Fact]
    public async Task Every_success_response_has_a_body_schema()
    {
        var document = await DocumentAsync();

        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var ok = path.Value.GetProperty("get").GetProperty("responses").GetProperty("200");
            var schema = Resolve(document, ok.GetProperty("content").GetProperty("application/json").GetProperty("schema"));
            Assert.True(schema.GetProperty("properties").EnumerateObject().Any(), $"{path.Name} has an empty 200 schema");
        }
    }

    [Fact]
    public async Task Private_scoped_200_documents_its_message()
    {
        var document = await DocumentAsync();
        var ok = Operation(document, "/api/private-scoped").GetProperty("responses").GetProperty("200");
        var schema = Resolve(document, ok.GetProperty("content").GetProperty("application/json").GetProperty("schema"));

        Assert.Equal("string", schema.GetProperty("properties").GetProperty("message").GetProperty("type").GetString());
    }

    [Fact]
    public async Task UI_sends_the_audience_in_the_client_credentials_token_request()
    {
        var page = await UiPageAsync(fixture.Api);

        Assert.Contains("requestInterceptor: function", page, StringComparison.Ordinal);
        Assert.Contains($"\"{fixture.Issuer.Authority.AbsoluteUri}oauth/token\"", page, StringComparison.Ordinal);
        Assert.Contains($"\"{ApiFactory.Audience}\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UI_page_holds_no_client_secret()
    {
        // Development loads the dev issuer's clients and their secrets into configuration.
        await using var api = await fixture.StartApiAsync(environment: "Development");
        var page = await UiPageAsync(api);

        Assert.DoesNotContain("frontend-dev-secret", page, StringComparison.Ordinal);
        Assert.DoesNotContain("partner-dev-secret", page, StringComparison.Ordinal);
        // NSwag's own default would pre-fill the dialog with the placeholder "client_secret".
        Assert.Equal("", ClientSecretInPage().Match(page).Groups[1].Value);
        Assert.Matches(ClientSecretInPage(), page);
    }

    [Fact]
    public async Task ClientId_adds_the_authorization_code_flow_with_pkce_and_audience()
    {
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["Swagger:ClientId"] = "spa-client-id" });

        var flows = (await DocumentAsync(api)).GetProperty("components").GetProperty("securitySchemes").GetProperty("Auth0").GetProperty("flows");
        var code = flows.GetProperty("authorizationCode");
        Assert.Equal($"{fixture.Issuer.Authority.AbsoluteUri}authorize", code.GetProperty("authorizationUrl").GetString());
        Assert.Equal($"{fixture.Issuer.Authority.AbsoluteUri}oauth/token", code.GetProperty("tokenUrl").GetString());
        Assert.True(flows.TryGetProperty("clientCredentials", out _));
        // A user's token gets a permission in its scope only when the sign-in asks for it.
        Assert.True(code.GetProperty("scopes").TryGetProperty("read:messages", out _));

        var page = await UiPageAsync(api);
        Assert.Contains("clientId: \"spa-client-id\"", page, StringComparison.Ordinal);
        Assert.Contains("usePkceWithAuthorizationCodeGrant: true", page, StringComparison.Ordinal);
        Assert.Contains($"additionalQueryStringParams: {{\"audience\":\"{ApiFactory.Audience}\"}}", page, StringComparison.Ordinal);
        Assert.Equal("", ClientSecretInPage().Match(page).Groups[1].Value);
    }

    [Fact]
    public async Task A_ClientId_that_could_break_out_of_the_page_script_refuses_start_up()
    {
        // NSwag writes the client id into the page's JavaScript unescaped.
        await using var api = new ApiFactory(fixture.Issuer, new Dictionary<string, string?> { ["Swagger:ClientId"] = "x\"});alert(1);//" });

        var refusal = await Assert.ThrowsAnyAsync<Exception>(() => api.StartAndWaitUntilReadyAsync());
        Assert.Contains("Swagger:ClientId", refusal.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swagger_Enabled_false_serves_neither_document_nor_UI()
    {
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["Swagger:Enabled"] = "false" });
        using var client = api.CreateClient();

        foreach (var path in new[] { "/swagger", "/swagger/index.html", "/swagger/v1/swagger.json" })
        {
            using var response = await client.GetAsync(path, Cancel);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    private static async Task<string> UiPageAsync(ApiFactory api)
    {
        using var client = api.CreateClient();
        return await client.GetStringAsync("/swagger/index.html", Cancel);
    }

    /// <summary>A documented problem body: the named example of a response, and its resolved schema.</summary>
    private static (JsonElement Example, JsonElement Schema) Documented(JsonElement document, string path, string status, string example)
    {
        var content = Operation(document, path).GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty(ProblemJson.MediaType);
        return (content.GetProperty("examples").GetProperty(example).GetProperty("value"), Resolve(document, content.GetProperty("schema")));
    }

    /// <summary>
    /// The example has exactly the members of the real body, the schema describes every one of
    /// them, and everything it requires is there.
    /// </summary>
    private static void AssertSameMembers(JsonElement body, JsonElement example, JsonElement schema)
    {
        var members = body.EnumerateObject().Select(m => m.Name).ToList();
        Assert.Equal(members, example.EnumerateObject().Select(m => m.Name));
        Assert.Subset(schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet(), members.ToHashSet());
        Assert.Subset(members.ToHashSet(), schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()!).ToHashSet());
        Assert.Matches(TraceParent(), body.GetProperty("traceId").GetString());
        Assert.Matches(TraceParent(), example.GetProperty("traceId").GetString());
    }

    private static void AssertSameValues(JsonElement body, JsonElement example, string[] except)
    {
        foreach (var member in body.EnumerateObject().Where(m => !except.Contains(m.Name)))
        {
            var documented = example.GetProperty(member.Name);
            Assert.True(JsonElement.DeepEquals(member.Value, documented), $"{member.Name}: the API answers {member.Value}, the example says {documented}");
        }
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }

        var name = reference.GetString()!["#/components/schemas/".Length..];
        return document.GetProperty("components").GetProperty("schemas").GetProperty(name);
    }

    /// <summary>A W3C Trace Context traceparent, the form ASP.NET Core gives <c>traceId</c>.</summary>
    [GeneratedRegex("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]
    private static partial Regex TraceParent();

    [GeneratedRegex("var clientSecret = \"([^\"]*)\";")]
    private static partial Regex ClientSecretInPage();
}
