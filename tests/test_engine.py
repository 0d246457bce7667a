"""The run database: the scratch database for big temporary tables, in a file or in memory; when it is checkpointed."""

from pathlib import Path

import duckdb

from linker.engine import compress_scratch, open_database, scratch_table


def _scratch_tables(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [name for (name,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]


def test_big_temporary_tables_go_to_the_scratch_file_not_the_run_database(tmp_path):
    db, scratch = tmp_path / "work.duckdb", tmp_path / ".work" / "scratch.duckdb"
    con = open_database(db, scratch=scratch)
    con.execute(f"CREATE OR REPLACE {scratch_table(con, 'events')} AS SELECT range AS id FROM range(1000)")
    compress_scratch(con)
    assert con.execute("SELECT count(*) FROM events").fetchall() == [(1000,)]  # found without the schema name
    con.close()
    assert _scratch_tables(scratch) == ["events"]
    assert _scratch_tables(db) == []


def test_a_scratch_file_left_by_an_earlier_run_starts_empty(tmp_path):
    scratch = tmp_path / "scratch.duckdb"
    with duckdb.connect(str(scratch)) as old:
        old.execute("CREATE TABLE events AS SELECT 1 AS id")
    con = open_database(tmp_path / "work.duckdb", scratch=scratch)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'scratch'").fetchall() == [(0,)]
    con.close()


def test_without_a_scratch_file_the_scratch_database_is_in_memory(tmp_path):
    con = open_database(tmp_path / "work.duckdb")
    con.execute(f"CREATE OR REPLACE {scratch_table(con, 'events')} AS SELECT 1 AS id")
    compress_scratch(con)
    assert con.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'scratch'").fetchall() == [(None,)]
    con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".spill", "work.duckdb"]


def test_a_folder_with_an_apostrophe_in_its_name_works(tmp_path):
    folder = tmp_path / "li's run"
    folder.mkdir()
    con = open_database(folder / "work.duckdb", scratch=folder / ".work" / "scratch.duckdb")
    assert Path(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]) == folder / ".spill"
    con.close()


def test_the_run_database_is_checkpointed_when_closed_not_every_16mb_of_log(tmp_path):
    db, wal = tmp_path / "work.duckdb", tmp_path / "work.duckdb.wal"
    con = open_database(db)
    con.execute("CREATE TABLE signals (customer_id VARCHAR, evidence VARCHAR)")
    for part in range(4):  # inserts smaller than a row group go through the write-ahead log, 10MB each
        con.execute("INSERT INTO signals SELECT 'C' || range, repeat('x', 100) FROM range(?, ?)",
                    [part * 100_000, (part + 1) * 100_000])
    assert wal.stat().st_size > 32 * 2**20  # DuckDB's default would have checkpointed at 16MB
    con.close()
    assert not wal.exists()
    with duckdb.connect(str(db), read_only=True) as reopened:
        assert reopened.execute("SELECT count(DISTINCT customer_id) FROM signals").fetchall() == [(400_000,)]
