#!/usr/bin/env python3
"""The MSRV, checked against Cargo.lock (run from the repository root: python3 .ci/msrv.py).

- The published crates (buzzin, buzzin-sim): every crate of a crate's normal and build
  dependency tree, on every platform, that declares a `rust-version` declares one no newer than
  the crate's own `rust-version` (the MSRV users get), with its default features and with each
  feature of buzzin on its own; a feature that needs a newer Rust says so in
  `[workspace.metadata.buzzin.feature-rust-version]` (and the README says it too).
- Development (the tests, examples, benches and tools of every workspace member, dev-dependencies
  included): every crate that declares one declares one no newer than
  `[workspace.metadata.buzzin] dev-rust-version` in Cargo.toml.

Crates that declare no `rust-version` cannot be checked this way; they are counted, not judged
(only a build with that toolchain would judge them).
"""
import json
import subprocess
import sys
import tomllib


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def metadata(*flags):
    return json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", *flags],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )


def main():
    with open("Cargo.toml", "rb") as f:
        manifest = tomllib.load(f)
    settings = manifest["workspace"]["metadata"]["buzzin"]
    dev_msrv = settings["dev-rust-version"]
    feature_msrv = settings.get("feature-rust-version", {})
    ok = True
    # buzzin (the root package) with its defaults, then each feature alone; buzzin-sim with its
    # defaults (its one feature, `cli`).
    runs = [("default features", ())] + [
        (f"feature {feature}", ("--no-default-features", "--features", f"buzzin/{feature}"))
        for feature in manifest["features"]
        if feature != "default"
    ]
    for label, flags in runs:
        meta = metadata(*flags)
        for member in meta["workspace_members"]:
            package = next(p for p in meta["packages"] if p["id"] == member)
            if package.get("publish") == [] or (flags and package["name"] != "buzzin"):
                continue  # publish = false: its MSRV is development's
            msrv = package["rust_version"]
            if package["name"] == "buzzin" and flags:
                msrv = feature_msrv.get(flags[-1].removeprefix("buzzin/"), msrv)
            ok &= check(meta, f"{package['name']}, {label}", [member], False, msrv)
    meta = metadata("--all-features")
    ok &= check(
        meta,
        "development (every member, all features, dev-dependencies included)",
        meta["workspace_members"],
        True,
        dev_msrv,
    )
    if not ok:
        print("a crate in Cargo.lock needs a newer Rust than the MSRV stated", file=sys.stderr)
        sys.exit(1)


def check(meta, label, starts, dev, msrv):
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}

    def tree(starts, dev):
        """The closure of `starts` over normal and build edges (and the starts' dev edges)."""
        seen, stack = set(), list(starts)
        while stack:
            pkg = stack.pop()
            if pkg in seen:
                continue
            seen.add(pkg)
            for dep in nodes[pkg]["deps"]:
                kinds = [k["kind"] for k in dep["dep_kinds"]]
                if any(k in (None, "build") or (dev and pkg in starts and k == "dev") for k in kinds):
                    stack.append(dep["pkg"])
        return seen

    ids = tree(starts, dev)
    too_new = sorted(
        (packages[i]["name"], packages[i]["version"], packages[i]["rust_version"])
        for i in ids
        if packages[i].get("rust_version")
        and version(packages[i]["rust_version"]) > version(msrv)
    )
    undeclared = sum(1 for i in ids if not packages[i].get("rust_version"))
    print(
        f"{label}: {len(ids)} crates, {len(ids) - undeclared} declare a rust-version, "
        f"{undeclared} do not; MSRV {msrv}"
    )
    for name, ver, rust in too_new:
        print(f"  {name} {ver} needs Rust {rust}, newer than {msrv}", file=sys.stderr)
    return not too_new


main()
