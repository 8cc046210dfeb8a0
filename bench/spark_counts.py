"""Proof that the lake is readable by a distributed engine as it is: Apache Spark (pyspark from
PyPI, local mode) reads the stored Parquet versions straight from the lake directory and must
return exactly what the pool's own SQL returns for the same queries.

The pool side runs through `tongban query` (so it goes through the policy views: the account
below is the providing department's clerk, who sees every non-personal value in clear); the
Spark side reads the raw version directory. Only non-personal columns are compared; personal
columns are ciphertext in the lake and stay so for every outside engine (joins across
resources use the `<field>__bidx` blind-index columns, which Spark reads like any string).

usage:
  python3 bench/spark_counts.py --tongban target/release/tongban --data-dir DIR [--as ga_clerk]

DIR must hold demo data (`tongban demo --seed-only --data-dir DIR`). Needs Java 17+ and
`pip install pyspark`. Exits 0 when every query agrees, 1 otherwise.
"""

import argparse
import json
import math
import os
import subprocess
import sys

# (resource code, query with {t} standing for the table). Each is valid in both DataFusion and
# Spark SQL once {t} is quoted the engine's way.
QUERIES = [
    ("9901-GA-0001", "SELECT count(*) AS n FROM {t}"),
    ("9901-GA-0001", "SELECT district, gender, count(*) AS n FROM {t} GROUP BY district, gender"),
    ("9901-GA-0001", "SELECT district, min(birth_date) AS oldest, max(birth_date) AS youngest FROM {t} GROUP BY district"),
    ("9901-GA-0001", "SELECT count(DISTINCT id_number__bidx) AS people FROM {t}"),
    ("9901-HJ-0001", "SELECT station, count(*) AS n, sum(aqi) AS aqi_sum, max(pm25) AS pm25_max FROM {t} GROUP BY station"),
    ("9901-HJ-0001", "SELECT count(*) AS n FROM {t} WHERE aqi > 100"),
]


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    return done.stdout


def versions(args):
    """The current version of every resource, from the catalog."""
    out = run([args.tongban, "catalog", "list", "--json", "--data-dir", args.data_dir])
    return {r["code"]: r["current_version"] for r in json.loads(out)}


def pool_rows(args, code, sql):
    out = run([
        args.tongban, "query", "--data-dir", args.data_dir, "--as", args.user,
        "--purpose", "横向扩展核对 / scale-out check", "--format", "json", "--limit", "1000000",
        sql.format(t=f'"{code}"'),
    ])
    return json.loads(out)


def normal(value):
    """One cell in a form both engines agree on (dates as ISO text, floats rounded)."""
    if value is None:
        return None
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def key(row):
    """One result row (column name → value) as comparable text."""
    return json.dumps({k: normal(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True, default=str)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tongban", required=True, help="the tongban binary")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--as", dest="user", default="ga_clerk", help="the providing department's account")
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]").appName("tongban-lake-check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    current = versions(args)
    lake = os.path.join(args.data_dir, "lake")
    failures = 0
    for code, sql in QUERIES:
        version = current.get(code)
        if not version:
            sys.exit(f"{code} has no stored version in {args.data_dir}: seed the demo first")
        view = "t_" + code.replace("-", "_")
        spark.read.parquet(os.path.join(lake, code, f"v{version}")).createOrReplaceTempView(view)
        expected = sorted(key(r) for r in pool_rows(args, code, sql))
        got = sorted(key(r.asDict()) for r in spark.sql(sql.format(t=view)).collect())
        same = expected == got
        failures += not same
        print(f"{'same' if same else 'DIFFERENT':9} {code} v{version}: {len(got)} rows  {sql.format(t=code)}")
        if not same:
            print(f"  pool:  {expected[:5]}\n  spark: {got[:5]}")
    spark.stop()
    print("all queries agree" if failures == 0 else f"{failures} queries differ")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
