"""DuckDB baseline for the pool SQL benchmark: the same group-by and join over the same Parquet
files the pool queries. Prints one JSON object of median seconds. Needs `pip install duckdb`.

usage: python3 bench/duckdb_sql.py FACTS.parquet REGIONS.parquet [RUNS]
"""

import json
import statistics
import sys
import time

import duckdb


def median_seconds(con, sql, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    facts, regions = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    group_by = f"SELECT category, count(*), sum(amount), avg(amount) FROM read_parquet('{facts}') GROUP BY category"
    join = (
        f"SELECT r.region_name, sum(f.amount) AS total FROM read_parquet('{facts}') f "
        f"JOIN read_parquet('{regions}') r ON f.region = r.region "
        "GROUP BY r.region_name ORDER BY total DESC LIMIT 10"
    )
    print(json.dumps({
        "duckdb": duckdb.__version__,
        "group_by": median_seconds(con, group_by, runs),
        "join": median_seconds(con, join, runs),
    }))


if __name__ == "__main__":
    main()
