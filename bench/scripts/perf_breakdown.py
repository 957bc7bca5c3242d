#!/usr/bin/env python3
"""Where a .NET server's CPU goes, from `perf script` output (samples with call stacks).

    perf_breakdown.py "API (b)=perf-b.txt:74.2:17045" "API (a)=perf-a.txt:21.0" ...
    perf_breakdown.py --by middleware --difference "API (a)=perf-a.txt:21.0" "baseline (d-a)=perf-d-a.txt:17.9"

where each file is `perf script -i perf.data -F ip,sym,dso` output, the first number the server's
CPU microseconds per request measured in the same run, and the optional second one the bytes it
allocated per request. Prints a markdown table, one column per case (--difference: and one more,
the first case minus the second).
--by middleware answers another question: not what kind of work, but which stage of the request
pipeline (a middleware, the endpoint, Kestrel) was running its own code: each sample goes to the
innermost stage frame on its stack, since a middleware's frame stays below everything it calls next.
Each sample is put in the first category (in the order below) whose pattern matches its stack,
so nested work is counted once, in the most specific place: RSA verification inside JwtBearer
counts as "RS256 signature", not as "JwtBearer handler"; a category's share of the samples times
the measured CPU per request gives its microseconds per request.
Needs the server started with DOTNET_PerfMapEnabled=1 (JIT-compiled frames get names) and
DOTNET_EnableWriteXorExecute=0 (otherwise perf sees JIT code as an anonymous memfd mapping).
"""

import argparse
import collections
import re
import sys

# (label, pattern). A sample goes to the first category whose pattern matches any frame of its
# stack, so only frames that never have the rest of the pipeline running inside them are listed:
# not the authentication or authorization middleware, whose Invoke stays on the stack while the
# endpoint runs (their own work is caught by INNERMOST below).
CATEGORIES = [
    ("exceptions thrown and caught (.NET exception dispatch, stack traces)",
     re.compile(r"System\.Runtime\.EH::|System\.Runtime\.ExceptionServices\.|System\.Diagnostics\.StackTrace|"
                r"System\.Exception::(get_StackTrace|ToString|CaptureDispatchState)")),
    ("DPoP proof: OpenSSL (ES256 verify, SHA-256s) + interop",
     re.compile(r"(?s)(?=.*Api\.Auth\.DPoP\.)(?=.*(libcrypto|Cryptography\.Native\.OpenSsl|System\.Security\.Cryptography\.))")),
    ("DPoP proof: parsing, checks, replay cache", re.compile(r"Api\.Auth\.DPoP\.")),
    ("RS256 signature check (OpenSSL RSA verify + SHA-256 + interop)",
     re.compile(r"libcrypto|Cryptography\.Native\.OpenSsl|JsonWebTokenHandler::ValidateSignature|"
                r"JsonWebTokenHandler::IsSignatureValid|AsymmetricSignatureProvider|AsymmetricAdapter|"
                r"CryptoProviderFactory|System\.Security\.Cryptography\.")),
    ("token parsing (base64url + JSON of header and payload)",
     re.compile(r"JsonWebToken::ReadToken|JsonWebToken::\.ctor|JsonWebTokenHandler::ReadToken|"
                r"JsonWebToken::CreateClaimSet|JsonWebToken::CreateHeaderClaimSet|JsonWebToken::CreatePayloadClaimSet")),
    ("claims building (ClaimsIdentity from the payload)",
     re.compile(r"CreateClaimsIdentity|TokenValidationResult::get_ClaimsIdentity|JsonClaimSet::CreateClaim|"
                r"JsonClaimSet::get_Claims|JsonWebToken::get_Claims")),
    ("permission mapping (PermissionClaims.Normalize)", re.compile(r"PermissionClaims::")),
    ("other token validation (iss, aud, exp, alg, key lookup, TVP clone)",
     re.compile(r"JsonWebTokenHandler|Microsoft\.IdentityModel\.|Auth0TokenHandler|SetupTokenValidationParameters")),
    ("Authorization header reading (BearerCredentials)", re.compile(r"BearerCredentials::")),
    ("JwtBearer handler and events, rest", re.compile(r"JwtBearer|Auth0BearerEvents|AuthenticationHandler`|"
                                                     r"AuthenticationService|AuthenticationServiceImpl|AuthenticateResult|"
                                                     r"AuthenticationTicket|AuthenticationSchemeProvider")),
    ("authorization (policy evaluation, FastEndpoints permission check)",
     re.compile(r"PolicyEvaluator|DefaultAuthorizationService|AuthorizationHandler|AuthorizationPolicy|"
                r"ClaimsAuthorizationRequirement|DenyAnonymousAuthorizationRequirement|Microsoft\.AspNetCore\.Authorization\.Infrastructure")),
    ("logging (scopes, IsEnabled, providers)", re.compile(r"Microsoft\.Extensions\.Logging|LoggerMessage")),
    ("endpoint + JSON response (FastEndpoints / minimal API)",
     re.compile(r"^FastEndpoints\.|RequestDelegateFactory|Microsoft\.AspNetCore\.Http\.Json|System\.Text\.Json")),
]
# The middleware's own work: decided by the innermost named frame.
INNERMOST = [
    ("JwtBearer handler and events, rest", re.compile(r"AuthenticationMiddleware")),
    ("authorization (policy evaluation, FastEndpoints permission check)", re.compile(r"AuthorizationMiddleware")),
]
# --by middleware: the pipeline stage whose own code runs, i.e. the innermost stage frame of the
# stack (a middleware's Invoke stays on the stack while the rest of the pipeline runs inside it, so
# the innermost one is the one working). Order matters only for a frame matching two patterns.
MIDDLEWARE = [
    ("endpoint: FastEndpoints / minimal API handler and JSON response",
     re.compile(r"^FastEndpoints\.|^Api\.Features\.|RequestDelegateFactory|Microsoft\.AspNetCore\.Http\.Json|"
                r"System\.Text\.Json|Microsoft\.AspNetCore\.Http\.HttpResponseJsonExtensions|"
                r"Microsoft\.AspNetCore\.Routing\.EndpointMiddleware|Microsoft\.AspNetCore\.Http\.RequestDelegateFactory")),
    ("logging (scopes, IsEnabled, providers)", re.compile(r"Microsoft\.Extensions\.Logging|LoggerMessage")),
    ("authorization middleware (policy, evaluator)",
     re.compile(r"AuthorizationMiddleware|PolicyEvaluator|Microsoft\.AspNetCore\.Authorization|AuthorizationPolicy")),
    ("authentication middleware (scheme handler, no token: no result)",
     re.compile(r"AuthenticationMiddleware|Microsoft\.AspNetCore\.Authentication|JwtBearer|^Api\.Auth\.")),
    ("Swagger (NSwag document, UI and static-file middleware; ApiSwagger's path check)",
     re.compile(r"^NSwag\.|StaticFileMiddleware|Microsoft\.AspNetCore\.StaticFiles|Api\.Web\.Swagger\.")),
    ("test-route block (FastEndpointsTestRoutes)", re.compile(r"FastEndpointsTestRoutes")),
    ("CORS middleware", re.compile(r"Microsoft\.AspNetCore\.Cors\.")),
    ("status code pages middleware", re.compile(r"StatusCodePages")),
    ("exception handler middleware", re.compile(r"ExceptionHandlerMiddleware")),
    ("routing (endpoint matching)",
     re.compile(r"Microsoft\.AspNetCore\.Routing\.EndpointRoutingMiddleware|Microsoft\.AspNetCore\.Routing\.Matching\.")),
    ("host filtering middleware", re.compile(r"HostFilteringMiddleware")),
    ("other middleware plumbing (UseExtensions, ApplicationBuilder)", re.compile(r"Microsoft\.AspNetCore\.Builder\.")),
    ("hosting (HttpContext, per-request diagnostics)", re.compile(r"Microsoft\.AspNetCore\.Hosting\.")),
    ("Kestrel (connections, HTTP parsing, response writing)",
     re.compile(r"Microsoft\.AspNetCore\.Server\.Kestrel|System\.IO\.Pipelines|System\.Net\.Sockets")),
]
PIPELINE = "Kestrel, routing, other middleware, HTTP parsing"
RUNTIME = "runtime (GC, allocation, JIT stubs, thread pool; libcoreclr)"
KERNEL = "kernel (network, scheduling)"
OTHER = "other managed / libc"


def frame_name(frame):
    """`Namespace.Type::Method` for a managed frame (parameter and return types would match
    patterns they have nothing to do with); the symbol and library for a native one."""
    i = frame.find("::")
    if i < 0 or frame.endswith(".so)") and "[" not in frame:
        return frame
    start = frame.rfind(" ", 0, i) + 1
    end = frame.find("(", i)
    return frame[start:end] if end > 0 else frame[start:]


def samples(lines):
    stack = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield stack
            stack = []
        elif line.startswith(("\t", " ")):
            stack.append(frame_name(line.strip()))
        # a line without indentation is a sample header (comm/tid); frames follow
    if stack:
        yield stack


def classify(stack):
    whole = "\n".join(stack)
    for label, pattern in CATEGORIES:
        if pattern.search(whole):
            return label
    named = next((f for f in stack if "::" in f and " " not in f), "")
    for label, pattern in INNERMOST:
        if pattern.search(named):
            return label
    leaf = stack[0]
    if "kernel.kallsyms" in leaf:
        return KERNEL
    if "libcoreclr" in leaf or "libclrjit" in leaf or "[unknown]" in leaf or "stub " in leaf:
        return RUNTIME
    if re.search(r"Microsoft\.AspNetCore\.|System\.IO\.Pipelines|System\.Net\.Sockets", whole):
        return PIPELINE
    return OTHER


def by_leaf(stack):
    """Samples outside every named stage: where the CPU itself was."""
    leaf = stack[0]
    if "kernel.kallsyms" in leaf:
        return KERNEL
    if "libcoreclr" in leaf or "libclrjit" in leaf or "[unknown]" in leaf or "stub " in leaf:
        return RUNTIME
    return OTHER


def classify_middleware(stack):
    """The innermost pipeline stage on the stack; samples outside any (GC threads, the thread
    pool waiting, the kernel's own work) by where the CPU was."""
    for frame in stack:
        for label, pattern in MIDDLEWARE:
            if pattern.search(frame):
                return label
    return by_leaf(stack)


def breakdown(path, classifier=None):
    classifier = classifier or classify
    counts = collections.Counter()
    with open(path, encoding="utf-8", errors="replace") as lines:
        for stack in samples(lines):
            counts[classifier(stack)] += 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="+", metavar="LABEL=PERF_SCRIPT_FILE:US_PER_REQUEST[:BYTES_PER_REQUEST]",
                        help="one column each: a name, the `perf script -F ip,sym,dso` output, the "
                             "server's CPU microseconds per request measured in the same run and, "
                             "optionally, the bytes it allocated per request")
    parser.add_argument("--by", choices=["stage", "middleware"], default="stage",
                        help="stage (default): what kind of work (RSA, parsing, JwtBearer, ...); "
                             "middleware: which pipeline stage's own code ran (innermost stage on the stack)")
    parser.add_argument("--difference", action="store_true",
                        help="with exactly two cases, add a column: the first minus the second")
    args = parser.parse_args()
    if args.difference and len(args.cases) != 2:
        parser.error("--difference needs exactly two cases")
    classifier = classify_middleware if args.by == "middleware" else classify

    columns = []
    allocated = {}
    for case in args.cases:
        label, rest = case.split("=", 1)
        path, *numbers = rest.split(":")
        counts = breakdown(path, classifier)
        total = sum(counts.values())
        if total == 0:
            sys.exit(f"{path}: no samples (was perf attached to the server's pid?)")
        allocated[label] = numbers[1] if len(numbers) > 1 else ""
        columns.append((label, counts, total, float(numbers[0])))

    def difference(cells):
        if not args.difference:
            return ""
        try:
            x, y = (cell.strip("*") for cell in cells)
            return f" | {float(x) - float(y):+.0f}" if "." not in x + y else f" | {float(x) - float(y):+.1f}"
        except ValueError:
            return " | "

    headers = [label for label, *_ in columns]
    print("| CPU µs per request | " + " | ".join(headers)
          + (f" | {headers[0]} − {headers[1]}" if args.difference else "") + " |")
    print("|---|" + "---:|" * (len(columns) + (1 if args.difference else 0)))
    if args.by == "middleware":
        order = [label for label, _ in MIDDLEWARE] + [RUNTIME, KERNEL, OTHER]
    else:
        order = [label for label, _ in CATEGORIES] + [PIPELINE, RUNTIME, KERNEL, OTHER]
    for where in order:
        if all(counts[where] == 0 for _, counts, _, _ in columns):
            continue
        cells = [f"{counts[where] / total * per_request:.1f}" for _, counts, total, per_request in columns]
        print(f"| {where} | " + " | ".join(cells) + difference(cells) + " |")
    cells = [f"**{per_request:.1f}**" for *_, per_request in columns]
    print("| **total** (measured: server CPU time / requests) | " + " | ".join(cells) + difference(cells) + " |")
    if any(allocated.values()):
        cells = [allocated[label] or "n/a" for label, *_ in columns]
        print("| managed memory allocated per request (bytes, dotnet-counters) | " + " | ".join(cells)
              + difference(cells) + " |")
    print("| perf samples | " + " | ".join(str(total) for _, _, total, _ in columns)
          + (" | " if args.difference else "") + " |")


if __name__ == "__main__":
    main()
