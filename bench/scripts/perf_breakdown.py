#!/usr/bin/env python3
"""Where a .NET server's CPU goes, from `perf script` output (samples with call stacks).

    perf_breakdown.py "API (b)=perf-b.txt:74.2:17045" "API (a)=perf-a.txt:21.0" ...

where each file is `perf script -i perf.data -F ip,sym,dso` output, the first number the server's
CPU microseconds per request measured in the same run, and the optional second one the bytes it
allocated per request. Prints a markdown table, one column per case.
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


def breakdown(path):
    counts = collections.Counter()
    with open(path, encoding="utf-8", errors="replace") as lines:
        for stack in samples(lines):
            counts[classify(stack)] += 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="+", metavar="LABEL=PERF_SCRIPT_FILE:US_PER_REQUEST[:BYTES_PER_REQUEST]",
                        help="one column each: a name, the `perf script -F ip,sym,dso` output, the "
                             "server's CPU microseconds per request measured in the same run and, "
                             "optionally, the bytes it allocated per request")
    args = parser.parse_args()

    columns = []
    allocated = {}
    for case in args.cases:
        label, rest = case.split("=", 1)
        path, *numbers = rest.split(":")
        counts = breakdown(path)
        total = sum(counts.values())
        if total == 0:
            sys.exit(f"{path}: no samples (was perf attached to the server's pid?)")
        allocated[label] = numbers[1] if len(numbers) > 1 else ""
        columns.append((label, counts, total, float(numbers[0])))

    print("| CPU µs per request | " + " | ".join(label for label, *_ in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    order = [label for label, _ in CATEGORIES] + [PIPELINE, RUNTIME, KERNEL, OTHER]
    for where in order:
        if all(counts[where] == 0 for _, counts, _, _ in columns):
            continue
        cells = [f"{counts[where] / total * per_request:.1f}" for _, counts, total, per_request in columns]
        print(f"| {where} | " + " | ".join(cells) + " |")
    print("| **total** (measured: server CPU time / requests) | "
          + " | ".join(f"**{per_request:.1f}**" for *_, per_request in columns) + " |")
    if any(allocated.values()):
        print("| managed memory allocated per request (bytes, dotnet-counters) | "
              + " | ".join(allocated[label] or "n/a" for label, *_ in columns) + " |")
    print("| perf samples | " + " | ".join(str(total) for _, _, total, _ in columns) + " |")


if __name__ == "__main__":
    main()
