#!/usr/bin/python3
"""Checks topologies/umlab.schema.json against the examples, inline cases and the loader.

usage: /usr/bin/python3 tests/schema/check_schema.py REPO_ROOT [UMLAB]

1. The schema is a valid draft 2020-12 schema, and every property has a description.
2. Every topologies/*.yaml passes it.
3. Inline cases: each 'good' case passes it and each 'bad' case fails it. When the path of the
   `umlab` executable is given as the second argument, every inline case also goes through
   `umlab validate`, which must agree (exit 0 for good cases, 1 for bad ones).
4. The key sets agree with the loader: every MapReader key list in lab/src/compile/load.cpp
   equals the 'properties' of the matching schema object, and every schema object that
   forbids other keys has a loader counterpart, so that the two cannot drift apart silently.

Prints one line per check and then 'N passed, M failed'; exits 1 if anything failed.
Needs Debian's python3-yaml and python3-jsonschema (hence /usr/bin/python3). Files are read with
yaml.safe_load, a YAML 1.1 reader: the inline cases avoid the scalars that YAML 1.1 and umlab's
YAML 1.2 reader type differently (yes/no, unquoted MACs of decimal pairs, 1:30).
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

# ---- inline cases ---------------------------------------------------------------------------

# Each must pass the schema (and `umlab validate`, which may warn).
GOOD = {
    "images: derived, defaults, string shorthands": """
name: imgs
images:
  web:
    from: kathara-base
    packages: [apache2, php8.2]
    files: {/etc/motd: cap.pcap}
    run: ["a2enmod ssl"]
    size: 2G
  plain: {}
  tools: {packages: curl, run: echo hi}
nodes:
  a: {image: web}
""",
    "minimal, a null node": """
name: tiny
nodes:
  pc1:
""",
    "segment shorthand, null segment and {} node": """
name: short
nodes: {a: {}, b: , c: {}}
segments:
  lan: switch
  dmz: hub
  bus: mcast
  plain:
links:
  - {endpoints: [a:eth0, lan]}
  - {endpoints: [b:eth0, dmz]}
  - {endpoints: [c:eth0, bus]}
  - {endpoints: [a:eth1, plain]}
  - {endpoints: [b:eth1, plain]}
""",
    "YAML numbers and booleans where umlab takes them": """
name: numbers
defaults: {memory: 134217728, forwarding: false}
nodes:
  a: {memory: 96M, layout: {x: 100, y: -40.5}}
  b: {forwarding: true, layout: {x: "1e3", y: 0}}
segments:
  lan: {type: switch, layout: {x: 10, y: 20}}
links:
  - {endpoints: [a:eth0, lan]}
  - {endpoints: [b:eth0, lan]}
replays:
  - {segment: lan, pcap: cap.pcap, speed: 2.5, loop: 3, rewrite-mac: true}
  - {segment: lan, pcap: cap.pcap, speed: "0.5", loop: "2", rewrite-mac: "false"}
""",
    "every key once": """
name: all-keys
description: every key of the format
defaults:
  kind: host
  memory: 128M
  image: debian
  startup: [echo defaults]
  files: {/etc/motd: motd.txt}
  forwarding: false
kinds:
  router:
    memory: 96M
    image: debian
    startup: echo router
    files: {/etc/issue: motd.txt}
    forwarding: true
  ids: {}
  empty:
nodes:
  r1:
    kind: router
    description: the router
    memory: 256MiB
    image: debian-12
    startup:
      - sysctl -w net.ipv4.ip_forward=1
      - |
        echo a
        echo b
    files:
      /etc/motd: motd.txt
    forwarding: true
    routes:
      - {to: 10.9.0.0/16, via: 10.0.0.254}
      - {to: default, via: 10.0.1.2}
    layout: {x: 0, y: 0}
  pc1: {}
  pc2: {}
  sensor: {kind: ids}
segments:
  lan: {type: switch, transport: bess, description: the LAN, layout: {x: 50, y: 50}}
  lan2: {type: hub}
  wan: {type: mcast}
links:
  - {endpoints: [r1:eth0, lan], ip: 10.0.0.1/24, mac: "02:00:00:00:00:01", delay: 5ms, jitter: 1ms, loss: 0.1%, rate: 10mbit, duplicate: 1%, corrupt: 0.01%}
  - endpoints:
      - {node: pc1, iface: eth0, ip: 10.0.0.2/24, gateway: 10.0.0.1, mac: "02-00-00-00-00-02"}
      - lan
  - endpoints:
      - {node: r1, iface: eth1, ip: 10.0.1.1/30}
      - {node: pc2, iface: eth0, ip: 10.0.1.2/30, gateway: 10.0.1.1}
    delay: 20ms
  - {endpoints: [r1:eth2, host], ip: 192.168.100.1/24}
  - {endpoints: [lan, lan2], rate: 100mbit}
  - {endpoints: [r1:eth3, wan], ip: "fd00::1/64"}
  - {endpoints: [pc2:eth1, wan], ip: "fd00::2/64", gateway: "fd00::1"}
monitors:
  - {node: sensor, iface: eth0, mirror: lan, mac: "02:00:00:00:00:99"}
replays:
  - {segment: lan2, pcap: cap.pcap, speed: 1, loop: 1, rewrite-mac: false}
""",
}

# Each must fail the schema (and `umlab validate`).
BAD = {
    "image with an unknown key": "name: x\nnodes: {a: {}}\nimages: {web: {pakages: [curl]}}\n",
    "image package not a Debian name": "name: x\nnodes: {a: {}}\nimages: {web: {packages: [Curl]}}\n",
    "image redefining a built-in": "name: x\nnodes: {a: {}}\nimages: {debian: {}}\n",
    "image name with upper case": "name: x\nnodes: {a: {}}\nimages: {Web: {}}\n",
    "image size without a unit": "name: x\nnodes: {a: {}}\nimages: {web: {size: 2}}\n",
    "top level is a list": "- name: x\n",
    "unknown top-level key": "name: x\nnodes: {a: {}}\nnodez: {}\n",
    "missing name": "nodes: {a: {}}\n",
    "missing nodes": "name: x\n",
    "nodes as a list": "name: x\nnodes: [a, b]\n",
    "lab name of 25 characters": "name: abcdefghijklmnopqrstuvwxy\nnodes: {a: {}}\n",
    "lab name with a space": "name: my lab\nnodes: {a: {}}\n",
    "unknown node key": "name: x\nnodes: {a: {memroy: 96M}}\n",
    "node named host": "name: x\nnodes: {host: {}}\n",
    "node name starting with '_'": "name: x\nnodes: {_a: {}}\n",
    "node name of 32 characters": "name: x\nnodes: {abcdefghijklmnopqrstuvwxyz123456: {}}\n",
    "node as a string": "name: x\nnodes: {a: router}\n",
    "memory without a number": "name: x\nnodes: {a: {memory: lots}}\n",
    "memory with a fraction": "name: x\nnodes: {a: {memory: 1.5G}}\n",
    "memory in bytes below 64M": "name: x\nnodes: {a: {memory: 33554432}}\n",
    "image with a slash": "name: x\nnodes: {a: {image: a/b}}\n",
    "forwarding as the string yes": "name: x\nnodes: {a: {forwarding: \"yes\"}}\n",
    "startup as a mapping": "name: x\nnodes: {a: {startup: {cmd: ls}}}\n",
    "startup with a nested list": "name: x\nnodes: {a: {startup: [[ls]]}}\n",
    "files with a relative guest path": "name: x\nnodes: {a: {files: {etc/motd: motd.txt}}}\n",
    "files with '..' in the guest path": "name: x\nnodes: {a: {files: {/etc/../motd: motd.txt}}}\n",
    "files as a list": "name: x\nnodes: {a: {files: [motd.txt]}}\n",
    "route without via": "name: x\nnodes: {a: {routes: [{to: default}]}}\n",
    "route with an unknown key": "name: x\nnodes: {a: {routes: [{to: default, via: 10.0.0.1, metric: 5}]}}\n",
    "route to a bare address": "name: x\nnodes: {a: {routes: [{to: 10.0.2.1, via: 10.0.0.1}]}}\n",
    "layout with an unknown key": "name: x\nnodes: {a: {layout: {x: 1, y: 2, z: 3}}}\n",
    "layout without y": "name: x\nnodes: {a: {layout: {x: 1}}}\n",
    "layout out of range": "name: x\nnodes: {a: {layout: {x: 10000001, y: 0}}}\n",
    "defaults with an unknown key": "name: x\ndefaults: {ram: 96M}\nnodes: {a: {}}\n",
    "defaults with routes": "name: x\ndefaults: {routes: []}\nnodes: {a: {}}\n",
    "kind with a kind": "name: x\nkinds: {k: {kind: router}}\nnodes: {a: {}}\n",
    "kind with a description": "name: x\nkinds: {k: {description: x}}\nnodes: {a: {}}\n",
    "kind as a string": "name: x\nkinds: {k: router}\nnodes: {a: {}}\n",
    "kind name with a space": "name: x\nkinds: {\"my kind\": {}}\nnodes: {a: {}}\n",
    "node kind with a dot": "name: x\nnodes: {a: {kind: a.b}}\n",
    "bad segment type": "name: x\nnodes: {a: {}}\nsegments: {lan: {type: bridge}}\n",
    "bad segment shorthand": "name: x\nnodes: {a: {}}\nsegments: {lan: router}\n",
    "segment type in capitals": "name: x\nnodes: {a: {}}\nsegments: {lan: Switch}\n",
    "unknown segment key": "name: x\nnodes: {a: {}}\nsegments: {lan: {type: switch, vlan: 5}}\n",
    "unknown segment transport": "name: x\nnodes: {a: {}}\nsegments: {lan: {transport: vde}}\n",
    "mcast segment with a transport": "name: x\nnodes: {a: {}}\nsegments: {lan: {type: mcast, transport: daemon}}\n",
    "segment named host": "name: x\nnodes: {a: {}}\nsegments: {host: switch}\n",
    "segments as a list": "name: x\nnodes: {a: {}}\nsegments: [lan]\n",
    "links as a mapping": "name: x\nnodes: {a: {}}\nlinks: {a: lan}\n",
    "link without endpoints": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{ip: 10.0.0.1/24}]\n",
    "link as a string": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [a:eth0]\n",
    "link with one end": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0]}]\n",
    "link with three ends": "name: x\nnodes: {a: {}}\nsegments: {lan: , s2: }\nlinks: [{endpoints: [a:eth0, lan, s2]}]\n",
    "unknown link key": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], vlan: 5}]\n",
    "interface eth32": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth32, lan]}]\n",
    "interface eth01": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth01, lan]}]\n",
    "interface named wlan0": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:wlan0, lan]}]\n",
    "endpoint mapping without iface": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [{node: a}, lan]}]\n",
    "endpoint mapping with an unknown key": (
        "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [{node: a, iface: eth0, port: 1}, lan]}]\n"
    ),
    "endpoint as a list": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [[a], lan]}]\n",
    "address on a point-to-point link": (
        "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:eth0, b:eth0], ip: 10.0.0.1/30}]\n"
    ),
    "addresses on the link and on its endpoint": (
        "name: x\nnodes: {a: {}}\nsegments: {lan: }\n"
        "links: [{endpoints: [{node: a, iface: eth0, ip: 10.0.0.1/24}, lan], ip: 10.0.0.2/24}]\n"
    ),
    "delay on a link to the host": "name: x\nnodes: {a: {}}\nlinks: [{endpoints: [a:eth0, host], delay: 5ms}]\n",
    "address without a prefix length": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], ip: 10.0.0.1}]\n",
    "prefix length 33": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], ip: 10.0.0.1/33}]\n",
    "prefix length 0": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], ip: 10.0.0.1/0}]\n",
    "gateway with a prefix length": (
        "name: x\nnodes: {a: {}}\nsegments: {lan: }\n"
        "links: [{endpoints: [a:eth0, lan], ip: 10.0.0.2/24, gateway: 10.0.0.1/24}]\n"
    ),
    "multicast MAC": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], mac: \"01:00:5e:00:00:01\"}]\n",
    "all-zero MAC": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], mac: \"00:00:00:00:00:00\"}]\n",
    "malformed MAC": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], mac: \"02:00:00:00:00\"}]\n",
    "MAC with mixed separators": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], mac: \"02:00-00:00:00:01\"}]\n",
    "delay without a unit": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], delay: \"5\"}]\n",
    "delay as a YAML number": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], delay: 5}]\n",
    "delay in weeks": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], delay: 1w}]\n",
    "jitter without delay": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], jitter: 1ms}]\n",
    "loss without '%'": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], loss: \"0.5\"}]\n",
    "loss above 100%": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], loss: 100.5%}]\n",
    "negative duplicate": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], duplicate: -1%}]\n",
    "rate in bytes per second": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], rate: 10mbps}]\n",
    "rate without a unit": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nlinks: [{endpoints: [a:eth0, lan], rate: \"1000\"}]\n",
    "monitor without mirror": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nmonitors: [{node: a, iface: eth0}]\n",
    "monitor with an unknown key": (
        "name: x\nnodes: {a: {}}\nsegments: {lan: }\nmonitors: [{node: a, iface: eth0, mirror: lan, promisc: true}]\n"
    ),
    "monitor on a bad interface": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nmonitors: [{node: a, iface: eth99, mirror: lan}]\n",
    "replay without pcap": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nreplays: [{segment: lan}]\n",
    "replay without segment": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nreplays: [{pcap: cap.pcap}]\n",
    "replay with an unknown key": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nreplays: [{segment: lan, pcap: cap.pcap, sped: 2}]\n",
    "replay speed 0": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nreplays: [{segment: lan, pcap: cap.pcap, speed: 0}]\n",
    "replay speed above 1000": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nreplays: [{segment: lan, pcap: cap.pcap, speed: 1001}]\n",
    "replay loop 0": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nreplays: [{segment: lan, pcap: cap.pcap, loop: 0}]\n",
    "replay loop as a fraction": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nreplays: [{segment: lan, pcap: cap.pcap, loop: \"1.5\"}]\n",
    "rewrite-mac as a word": "name: x\nnodes: {a: {}}\nsegments: {lan: }\nreplays: [{segment: lan, pcap: cap.pcap, rewrite-mac: always}]\n",
    "monitors as a mapping": "name: x\nnodes: {a: {}}\nmonitors: {a: lan}\n",
}

# Files that the inline cases name, made in a scratch directory when `umlab` runs them.
CASE_FILES = {"cap.pcap": b"", "motd.txt": b"welcome\n"}

# ---- loader key lists -------------------------------------------------------------------------

# Where each MapReader of load.cpp lands in the schema: (function, first string literal of its
# `what` argument, or None when `what` is a variable) -> JSON pointer of the schema object.
LOADER_CONTEXTS = {
    ("read", "the topology"): "#",
    ("readLayout", "the layout of "): "#/$defs/layout",
    ("readNode", "node '"): "#/$defs/node",
    ("readNode", "a route of node '"): "#/$defs/route",
    ("readSegment", "segment '"): "#/$defs/segment",
    ("readLink", None): "#/$defs/link",
    ("readLink", "an endpoint of "): "#/$defs/endpointMapping",
    ("readMonitor", None): "#/$defs/monitor",
    ("readReplay", None): "#/$defs/replay",
    ("readTimelineEvent", None): "#/$defs/timelineEntry",
}
# readSettings builds its list in a variable: without 'kind' for `kinds.<k>`, with it for `defaults`.
SETTINGS_KIND = "#/$defs/kindSettings"
SETTINGS_DEFAULTS = "#/$defs/defaults"
IMAGE_RECIPE = "#/$defs/imageRecipe"

FUNCTION_DEF = re.compile(
    r"^\s*(?!(?:if|for|while|switch|else|return|catch)\b)[A-Za-z_][\w:<>*&, ]*?[\s*&](\w+)\([^;]*\)\s*(?:const\s*)?\{\s*$"
)
MAPREADER_ANY = re.compile(r"\bMapReader\s+\w+\s*\(")
MAPREADER_LIST = re.compile(r"\bMapReader\s+\w+\s*\(\s*doc_\s*,(?P<args>[^{};]*?)\{(?P<keys>[^{}]*)\}\s*,\s*diags_\s*\)", re.S)
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("pass  " + what)
        else:
            self.failed += 1
            print("FAIL  " + what + (": " + detail if detail else ""))


def pointer(schema, ptr):
    node = schema
    for part in ptr.lstrip("#").strip("/").split("/"):
        if part:
            node = node[part]
    return node


def first_errors(validator, instance, limit=3):
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for e in errors[:limit]:
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        out.append(where + ": " + (e.message if len(e.message) < 160 else e.message[:157] + "..."))
    return errors, "; ".join(out)


def function_at(lines_before):
    for line in reversed(lines_before):
        m = FUNCTION_DEF.match(line)
        if m:
            return m.group(1)
    return None


def loader_key_lists(source):
    """[(pointer or None, keys, line, label)] for every MapReader key list in load.cpp."""
    found = []
    lines = source.split("\n")
    listed = set()
    for m in MAPREADER_LIST.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        listed.add(line)
        func = function_at(lines[: line - 1])
        literal = STRING.search(m.group("args"))
        hint = literal.group(1) if literal else None
        keys = STRING.findall(m.group("keys"))
        found.append((LOADER_CONTEXTS.get((func, hint)), keys, line, "%s() '%s'" % (func, hint) if hint else "%s()" % func))
    # readSettings: `std::vector<std::string> keys{...};` plus `keys.insert(..., "kind")`.
    settings = re.search(r"void readSettings\(.*?\n  \}", source, re.S)
    if settings:
        body = settings.group(0)
        line = source.count("\n", 0, settings.start()) + 1
        vec = re.search(r"std::vector<std::string>\s+keys\s*\{([^{}]*)\}", body)
        keys = STRING.findall(vec.group(1)) if vec else []
        extra = re.findall(r'keys\.insert\([^;]*?"(\w[\w-]*)"\)', body)
        found.append((SETTINGS_KIND, keys, line, "readSettings() for kinds.<kind>"))
        found.append((SETTINGS_DEFAULTS, keys + extra, line, "readSettings() for defaults"))
        for i, text in enumerate(body.split("\n")):
            if MAPREADER_ANY.search(text):
                listed.add(line + i)
    # Any MapReader that neither pattern understood is a new shape this script must learn.
    for i, text in enumerate(lines):
        if MAPREADER_ANY.search(text) and (i + 1) not in listed and "class MapReader" not in text:
            found.append((None, [], i + 1, "unrecognised MapReader: " + text.strip()))
    return found


def closed_objects(node, ptr="#"):
    """JSON pointers of every schema object that forbids unknown keys."""
    out = []
    if isinstance(node, dict):
        if node.get("additionalProperties") is False and "properties" in node:
            out.append(ptr)
        for k, v in node.items():
            if k in ("properties", "$defs"):
                for name, sub in v.items():
                    out += closed_objects(sub, ptr + "/" + k + "/" + name)
    return out


def undocumented_properties(node, ptr="#"):
    """Properties (reached through 'properties' and '$defs') that have no 'description' for editors."""
    out = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if isinstance(sub, dict) and "description" not in sub:
                out.append(ptr + "/properties/" + name)
        for k in ("properties", "$defs"):
            for name, sub in node.get(k, {}).items():
                out += undocumented_properties(sub, ptr + "/" + k + "/" + name)
    return out


def run_umlab(umlab, directory, name, text):
    path = os.path.join(directory, re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + ".yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    p = subprocess.run([umlab, "validate", "--max-errors", "0", path], capture_output=True, text=True, cwd=directory)
    first = next((l for l in p.stderr.splitlines() if ": error: " in l), "")
    return p.returncode, first


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print("usage: check_schema.py REPO_ROOT [UMLAB]", file=sys.stderr)
        return 2
    root = argv[1]
    umlab = os.path.abspath(argv[2]) if len(argv) > 2 else None
    r = Results()

    schema_path = os.path.join(root, "topologies", "umlab.schema.json")
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        r.check(True, "schema topologies/umlab.schema.json is a valid draft 2020-12 schema")
    except jsonschema.SchemaError as e:
        r.check(False, "schema topologies/umlab.schema.json is a valid draft 2020-12 schema", e.message)
        print("%d passed, %d failed" % (r.passed, r.failed))
        return 1
    validator = jsonschema.Draft202012Validator(schema)
    missing = undocumented_properties(schema)
    r.check(not missing, "every schema property has a description", ", ".join(missing))

    examples = sorted(e for e in glob.glob(os.path.join(root, "topologies", "*.yaml"))
                      if not e.endswith(".tests.yaml"))  # tests files have their own format
    r.check(bool(examples), "examples found in topologies/")
    for path in examples:
        label = "example " + os.path.relpath(path, root)
        try:
            with open(path, encoding="utf-8") as f:
                data = yaml.safe_load(f)
        except yaml.YAMLError as e:
            r.check(False, label, "YAML: %s" % e)
            continue
        errors, text = first_errors(validator, data)
        r.check(not errors, label, text)

    scratch = tempfile.TemporaryDirectory(prefix="umlab-schema-") if umlab else None
    if scratch:
        for name, content in CASE_FILES.items():
            with open(os.path.join(scratch.name, name), "wb") as f:
                f.write(content)

    for name, text in GOOD.items():
        errors, detail = first_errors(validator, yaml.safe_load(text))
        r.check(not errors, "good case '%s' passes the schema" % name, detail)
        if scratch:
            rc, first = run_umlab(umlab, scratch.name, "good " + name, text)
            r.check(rc == 0, "good case '%s' passes umlab validate" % name, "exit %d %s" % (rc, first))

    for name, text in BAD.items():
        errors, detail = first_errors(validator, yaml.safe_load(text), limit=1)
        r.check(bool(errors), "bad case '%s' fails the schema" % name + (" (" + detail + ")" if errors else ""),
                "the schema accepts it")
        if scratch:
            rc, first = run_umlab(umlab, scratch.name, "bad " + name, text)
            r.check(rc == 1, "bad case '%s' fails umlab validate" % name, "exit %d, expected 1 %s" % (rc, first))

    load_cpp = os.path.join(root, "lab", "src", "compile", "load.cpp")
    with open(load_cpp, encoding="utf-8") as f:
        source = f.read()
    lists = loader_key_lists(source)
    seen = set()
    for ptr, keys, line, label in lists:
        what = "keys of %s (load.cpp:%d)" % (label, line)
        if ptr is None:
            r.check(False, what, "no schema object is mapped to it; add it to LOADER_CONTEXTS in " + os.path.basename(__file__))
            continue
        seen.add(ptr)
        props = set(pointer(schema, ptr).get("properties", {}))
        missing, extra = sorted(set(keys) - props), sorted(props - set(keys))
        detail = "; ".join(
            part for part in (
                ("the schema lacks " + ", ".join(missing)) if missing else "",
                ("the loader does not accept " + ", ".join(extra)) if extra else "",
            ) if part
        )
        r.check(not missing and not extra and keys, what + " match schema " + ptr, detail or "no keys found")
    # The images section has its own reader (load_images.cpp) with its key list in kImageKeys.
    images_source = open(os.path.join(root, "lab/src/compile/load_images.cpp")).read()
    image_keys = re.search(r"kImageKeys\{([^{}]*)\}", images_source)
    keys = STRING.findall(image_keys.group(1)) if image_keys else []
    props = set(pointer(schema, IMAGE_RECIPE).get("properties", {}))
    r.check(keys and set(keys) == props, "keys of an image (load_images.cpp kImageKeys) match schema " + IMAGE_RECIPE,
            "loader %s, schema %s" % (sorted(keys), sorted(props)))
    seen.add(IMAGE_RECIPE)
    for ptr in sorted(set(LOADER_CONTEXTS.values()) | {SETTINGS_KIND, SETTINGS_DEFAULTS}):
        r.check(ptr in seen, "loader has a key list for schema " + ptr, "no MapReader in load.cpp maps to it")
    for ptr in closed_objects(schema):
        r.check(ptr in seen, "schema object %s that forbids unknown keys mirrors a loader key list" % ptr,
                "no MapReader in load.cpp maps to it")

    if scratch:
        scratch.cleanup()
    print("%d passed, %d failed" % (r.passed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
