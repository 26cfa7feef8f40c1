#!/usr/bin/env python3
"""Regenerates src/db/schema.rs from migrations/template/*.sql, emitting what
`diesel print-schema` would for these tables (diesel_cli is not needed to build)."""
import glob
import re

sql = "\n".join(open(f).read() for f in sorted(glob.glob("migrations/template/*.sql"))
                if not f.endswith(".down.sql"))
TYPES = {"__ID__": "Integer", "INTEGER": "Integer", "BIGINT": "BigInt", "TEXT": "Text", "BOOLEAN": "Bool",
         "TIMESTAMP": "Timestamp", "DOUBLE": "Double"}
out = ["// @generated from migrations/template by scripts/gen-schema.py; do not edit.\n"]
names, fks = [], []
tables = {}  # name -> (primary key, [(column, diesel type)])


def column(table, line):
    """Reads one column definition of `table`; returns (name, type, is primary key)."""
    col = line.split()[0]
    rest = line[len(col):].strip()
    typ = "DOUBLE" if rest.startswith("DOUBLE PRECISION") else rest.split()[0]
    is_pk = "__ID__" in rest or "PRIMARY KEY" in rest
    notnull = "NOT NULL" in rest or is_pk
    m = re.search(r"REFERENCES (\w+)\(", rest)
    if m:
        fks.append((table, m.group(1), col))
    return col, (TYPES[typ] if notnull else f"Nullable<{TYPES[typ]}>"), is_pk


# Tables and the columns later migrations add, in the order the migrations run.
# A table rebuilt under a new name and renamed back takes its old place.
for create, body, alter, added, old, new, dropped in re.findall(
        r"CREATE TABLE (\w+) \((.*?)\n\);|ALTER TABLE (\w+) ADD COLUMN ([^;]*);"
        r"|ALTER TABLE (\w+) RENAME TO (\w+);|DROP TABLE (\w+);", sql, re.S):
    if dropped:
        tables.pop(dropped)
        names.remove(dropped)
        fks[:] = [f for f in fks if f[0] != dropped]
        continue
    if old:
        tables[new] = tables.pop(old)
        names[names.index(old)] = new
        fks[:] = [(new if a == old else a, new if b == old else b, c) for a, b, c in fks]
        continue
    if alter:
        col, typ, _ = column(alter, added.strip())
        tables[alter][1].append((col, typ))
        continue
    cols, pk = [], None
    for line in body.strip().split("\n"):
        line = line.strip().rstrip(",")
        if not line or line.startswith("--"):
            continue
        m = re.match(r"PRIMARY KEY \(([^)]*)\)", line)
        if m:
            pk = [c.strip() for c in m.group(1).split(",")]
            continue
        if line.startswith(("UNIQUE", "CHECK")):
            continue
        col, typ, is_pk = column(create, line)
        if is_pk:
            pk = pk or [col]
        cols.append((col, typ))
    names.append(create)
    tables[create] = (pk, cols)
for name in names:
    pk, cols = tables[name]
    out.append("diesel::table! {\n    %s (%s) {\n" % (name, ", ".join(pk)))
    out += [f"        {c} -> {t},\n" for c, t in cols]
    out.append("    }\n}\n\n")
seen = set()
for a, b, c in fks:
    if (a, b) not in seen and sum(1 for x in fks if x[:2] == (a, b)) == 1:
        out.append(f"diesel::joinable!({a} -> {b} ({c}));\n")
    seen.add((a, b))
out.append("\ndiesel::allow_tables_to_appear_in_same_query!(\n")
out += [f"    {n},\n" for n in sorted(names)]
out.append(");\n")
open("src/db/schema.rs", "w").write("".join(out))
