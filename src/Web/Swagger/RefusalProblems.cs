using Api.Auth;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;
using NJsonSchema;
using NSwag;

namespace Api.Web.Swagger;

/// <summary>
/// The RFC 9457 bodies of the API's 401 and 403 answers as <see cref="Challenges"/> writes
/// them: a schema naming their members, and examples made from the same <see cref="TokenRefusal"/>
/// and <see cref="PermissionRule"/> values as the answers. Without them Swagger UI shows ASP.NET
/// Core's generic ProblemDetails (<c>instance</c>, <c>additionalProp1</c>...), which the API never
/// writes.
/// </summary>
internal static class RefusalProblems
{
    private const string TokenRefusedSchema = "TokenRefusedProblem";
    private const string PermissionRefusedSchema = "PermissionRefusedProblem";

    /// <summary>ASP.NET Core's problem <c>type</c> for a 401 with no RFC 6750 error code.</summary>
    private const string UnauthorizedType = "https://tools.ietf.org/html/rfc9110#section-15.5.2";

    /// <summary>The example <c>traceparent</c> of W3C Trace Context §3.2, the form <c>traceId</c> takes.</summary>
    private const string ExampleTraceId = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /// <summary>A fixed expiry, so the document is the same on every generation.</summary>
    private static readonly DateTime ExampleExpiry = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>The 401 body, with examples for no token at all and for a token that has expired.</summary>
    public static OpenApiMediaType Unauthorized(OpenApiDocument document, Auth0Options auth0) => new()
    {
        Schema = Reference(document, TokenRefusedSchema, () => Schema(
            "The body of a 401: no token was sent, or the token was refused.", forbidden: false)),
        Examples =
        {
            ["missing_token"] = Example("No token sent", TokenRefusal.MissingToken),
            ["expired"] = Example(
                "An expired token",
                TokenRefusal.From(new SecurityTokenExpiredException { Expires = ExampleExpiry }, new RefusalContext(auth0, [], null))),
        },
    };

    /// <summary>The 403 body of an endpoint whose permission rule is <paramref name="rule"/>.</summary>
    public static OpenApiMediaType Forbidden(OpenApiDocument document, PermissionRule rule) => new()
    {
        Schema = Reference(document, PermissionRefusedSchema, () => Schema(
            "The body of a 403: the token is valid but lacks a permission the endpoint needs.", forbidden: true)),
        Examples =
        {
            ["insufficient_permission"] = Example(
                "A token without the permission",
                TokenRefusal.InsufficientPermission(rule)),
        },
    };

    /// <summary>The members in the order <see cref="Challenges"/> writes them.</summary>
    private static OpenApiExample Example(string summary, TokenRefusal refusal)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = refusal.Error is null ? UnauthorizedType : Challenges.ErrorCodesReference,
            ["title"] = ReasonPhrases.GetReasonPhrase(refusal.Status),
            ["status"] = refusal.Status,
            ["detail"] = refusal.Description,
            ["reason"] = refusal.Reason,
        };
        if (refusal.Error is not null)
        {
            body["error"] = refusal.Error;
        }

        if (refusal.RequiredScope is { } scope)
        {
            body["requiredPermissions"] = scope.Split(' ');
        }

        body["traceId"] = ExampleTraceId;
        return new OpenApiExample { Summary = summary, Value = body };
    }

    private static JsonSchema Schema(string description, bool forbidden)
    {
        var schema = new JsonSchema { Type = JsonObjectType.Object, Description = description };
        Add(schema, "type", Text("A URI naming the kind of problem: RFC 6750 §3.1's error codes when a token was refused, "
            + "RFC 9110's status code section when none was sent.", "uri"));
        Add(schema, "title", Text("The HTTP status's reason phrase."));
        Add(schema, "status", new JsonSchemaProperty { Type = JsonObjectType.Integer, Format = "int32", Description = "The HTTP status code." });
        Add(schema, "detail", Text("Why the request was refused, and what to change."));
        Add(schema, "reason", Text("A stable code for the refusal, the one the API's log line and metrics carry "
            + "(missing_token, expired, bad_audience, insufficient_permission...)."));
        Add(schema, "error", Text("The RFC 6750 §3.1 error code, as in WWW-Authenticate. Absent when no token was sent."), required: forbidden);
        if (forbidden)
        {
            Add(schema, "requiredPermissions", new JsonSchemaProperty
            {
                Type = JsonObjectType.Array,
                Item = new JsonSchema { Type = JsonObjectType.String },
                Description = "The permissions the endpoint needs: WWW-Authenticate's scope, as a list.",
            });
        }

        Add(schema, "traceId", Text("The W3C Trace Context id of the request, to find it in the API's logs and traces."));
        return schema;
    }

    private static JsonSchemaProperty Text(string description, string? format = null) =>
        new() { Type = JsonObjectType.String, Format = format, Description = description };

    private static void Add(JsonSchema schema, string name, JsonSchemaProperty property, bool required = true)
    {
        property.IsRequired = required;
        schema.Properties[name] = property;
    }

    /// <summary>Registers the schema once under <paramref name="name"/>, for every operation to refer to.</summary>
    private static JsonSchema Reference(OpenApiDocument document, string name, Func<JsonSchema> schema)
    {
        if (!document.Components.Schemas.TryGetValue(name, out var registered))
        {
            document.Components.Schemas[name] = registered = schema();
        }

        return new JsonSchema { Reference = registered };
    }
}
