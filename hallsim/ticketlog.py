"""Reading a hall's queue-ticket log (排队叫号系统导出) into one clean table.

A log is one or more CSV or XLSX files (UTF-8, UTF-8 with BOM, GB18030/GBK),
one row per ticket.  A *mapping* says which header holds which field and
what each status value means; two mappings are built in (``FORMATS``):

- ``qms-zh``: a typical Chinese export (票号, 业务类型/事项, 取号时间, 叫号时间,
  开始办理时间, 办结时间, 窗口号, 状态, 评价, 证件号(脱敏));
- ``anonymous-bank``: the per-call log of the "Anonymous Bank" call centre
  (Brown et al. 2005), tab-separated, clock times on a ``date`` (YYMMDD).

``read_log`` returns a ``TicketLog``: the tickets as a DataFrame with the
columns of ``COLUMNS`` (times in minutes since the midnight of the ticket's
day; a time past midnight is > 1440) and the table of rows dropped by reason.
A malformed file or mapping raises ``LogError`` naming the file, row and
column (the CLI turns it into exit 2, nothing written).
"""

from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

OUTCOMES = ("served", "abandoned", "missed", "ghost")
"""served: called and served; abandoned: left before being called; missed: called
but absent (过号; re-called later or gone); ghost: a row that is no ticket (test
tickets, phantom calls): dropped."""

FIELDS = (
    "ticket",
    "matter",
    "date",
    "ticket_time",
    "call_time",
    "start_time",
    "end_time",
    "leave_time",
    "window",
    "status",
    "priority",
    "rating",
    "citizen",
)
REQUIRED = ("matter", "ticket_time", "end_time", "status")

COLUMNS = (
    "file",  # source file name
    "row",  # row number in the file (the header is row 1)
    "ticket",  # ticket number as written ('' when absent)
    "day",  # the ticket's calendar day (datetime64[ns], midnight)
    "matter",
    "arrive",  # ticket taken, minutes since the day's midnight
    "call",  # called to a window (NaN if never)
    "start",  # service start (NaN if never)
    "end",  # service end (NaN if never)
    "leave",  # an abandoning citizen left the queue (NaN if unknown / not abandoned)
    "window",  # window / clerk id ('' when none)
    "outcome",  # one of OUTCOMES
    "priority",  # 0 regular, >0 priority (0 when the log has no such column)
    "rating",  # 好差评 1..5 (NaN when absent)
    "citizen",  # hashed citizen id ('' when absent)
)

DROP_REASONS = {
    "duplicate": "duplicate ticket (same ticket, day and ticket time) / 重复票号",
    "ghost": "ghost row (test ticket, phantom call) / 无效记录",
    "never_queued": "left before joining the queue / 未进入排队",
    "missed_recalled": "missed call later re-called (the re-call row is kept) / 过号后重叫",
    "impossible_times": "impossible times (call before ticket, end before start) / 时间矛盾",
    "missing_call": "served but no call or start time / 缺叫号时间",
    "zero_service": "zero-length service or no window / 办理时长为零",
    "outside_hours": "ticket outside opening hours / 营业时间外",
    "outside_days": "day not selected (--days) / 未选日期",
}


class LogError(ValueError):
    """A malformed log file or mapping: ``str()`` names the file, row and column."""

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None):
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.file, self.row, self.column = file, row, column


@dataclass
class Mapping:
    """Which header holds each field, and what each status value means."""

    columns: dict[str, list[str]]  # field -> candidate headers (first one present wins)
    status: dict[str, str]  # value as written -> one of OUTCOMES ("*" = any other value)
    delimiter: str | None = None  # None: sniffed from the header line
    encoding: str = "auto"  # auto: UTF-8 (with or without BOM), else GB18030
    source: str = "<mapping>"
    adapter: str | None = None  # a built-in format's own reader (anonymous-bank)


QMS_ZH = Mapping(
    columns={
        "ticket": ["票号", "排队号", "号码"],
        "matter": ["业务类型", "事项", "事项名称", "业务名称"],
        "date": ["日期", "办理日期"],
        "ticket_time": ["取号时间"],
        "call_time": ["叫号时间"],
        "start_time": ["开始办理时间", "受理时间"],
        "end_time": ["办结时间", "结束时间"],
        "leave_time": ["离开时间", "弃号时间"],
        "window": ["窗口号", "窗口"],
        "status": ["状态", "办理状态"],
        "priority": ["优先级", "绿色通道"],
        "rating": ["评价", "好差评"],
        "citizen": ["证件号(脱敏)", "证件号（脱敏）", "证件号", "身份证号(脱敏)"],
    },
    status={
        "已办结": "served",
        "办结": "served",
        "已完成": "served",
        "过号": "missed",
        "弃号": "abandoned",
        "未办理": "abandoned",
        "已离开": "abandoned",
        "作废": "ghost",
        "测试": "ghost",
    },
    source="qms-zh",
)

ANONYMOUS_BANK = Mapping(columns={}, status={}, delimiter="\t", source="anonymous-bank")
ANONYMOUS_BANK.adapter = "anonymous-bank"

FORMATS = {"qms-zh": QMS_ZH, "anonymous-bank": ANONYMOUS_BANK}

RATING_WORDS = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1}


@dataclass
class TicketLog:
    """Clean tickets (``COLUMNS``) and what cleaning did."""

    tickets: pd.DataFrame
    dropped: pd.DataFrame  # reason, description, rows
    notes: list[str] = field(default_factory=list)  # kept-but-changed counts (past midnight, ...)
    files: list[str] = field(default_factory=list)

    def drop(self, mask: np.ndarray, reason: str) -> None:
        """Move the rows under ``mask`` out of ``tickets``, counted under ``reason``."""
        n = int(np.count_nonzero(mask))
        if n:
            self.tickets = self.tickets.loc[~mask].reset_index(drop=True)
            self._count(reason, n)

    def _count(self, reason: str, n: int) -> None:
        d = self.dropped
        if reason in set(d["reason"]):
            d.loc[d["reason"] == reason, "rows"] += n
        else:
            row = pd.DataFrame(
                {"reason": [reason], "description": [DROP_REASONS[reason]], "rows": [n]}
            )
            self.dropped = pd.concat([d, row], ignore_index=True) if len(d) else row


# --------------------------------------------------------------------------- mapping


def load_mapping(path: str | Path) -> Mapping:
    """A mapping file (TOML): ``[columns] field = "header"`` (or a list of headers),
    ``[status] "value" = "served|abandoned|missed|ghost"``, optional ``[options]``
    ``delimiter`` / ``encoding``.  Errors raise ``LogError`` naming the key."""
    src = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise LogError(src, "mapping file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LogError(src, f"not a valid TOML mapping: {exc}") from None
    unknown = set(data) - {"columns", "status", "options"}
    if unknown:
        raise LogError(
            src, f"unknown table(s) {sorted(unknown)}; expected columns, status, options"
        )
    cols = data.get("columns")
    if not isinstance(cols, dict):
        raise LogError(src, 'missing [columns] table (field = "header in the log")')
    columns: dict[str, list[str]] = {}
    for key, val in cols.items():
        if key not in FIELDS:
            raise LogError(src, f"columns.{key}: unknown field; fields are {list(FIELDS)}")
        heads = [val] if isinstance(val, str) else val
        if not isinstance(heads, list) or not heads or not all(isinstance(h, str) for h in heads):
            raise LogError(src, f"columns.{key}: expected a header name or a list of them")
        columns[key] = heads
    for key in REQUIRED:
        if key not in columns:
            raise LogError(src, f"columns.{key}: required (the header holding the {key})")
    if "call_time" not in columns and "start_time" not in columns:
        raise LogError(src, "columns: needs call_time or start_time (when service began)")
    status = data.get("status", {})
    if not isinstance(status, dict) or not status:
        raise LogError(src, 'missing [status] table ("value in the log" = "served" ...)')
    for key, val in status.items():
        if val not in OUTCOMES:
            raise LogError(src, f"status.{key}: {val!r} is not one of {list(OUTCOMES)}")
    opts = data.get("options", {})
    if not isinstance(opts, dict) or set(opts) - {"delimiter", "encoding"}:
        raise LogError(src, "options: only delimiter and encoding are allowed")
    delim = opts.get("delimiter")
    if delim is not None and (not isinstance(delim, str) or len(delim) != 1):
        raise LogError(src, f"options.delimiter: expected one character, got {delim!r}")
    enc = opts.get("encoding", "auto")
    if enc not in ("auto", "utf-8", "utf-8-sig", "gb18030", "gbk"):
        raise LogError(src, f"options.encoding: {enc!r} is not auto, utf-8, gb18030 or gbk")
    return Mapping(columns, dict(status), delim, enc, src)


# --------------------------------------------------------------------------- reading


def _encoding(raw: bytes, wanted: str, src: str) -> str:
    if wanted != "auto":
        return {"gbk": "gb18030", "utf-8": "utf-8-sig"}.get(wanted, wanted)
    try:
        raw.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LogError(src, "neither UTF-8 nor GB18030 text", row=line) from None


def read_table(path: str | Path, delimiter: str | None = None, encoding: str = "auto"):
    """All cells of a CSV/TSV/XLSX file as strings: (headers, DataFrame of str)."""
    src = str(path)
    p = Path(path)
    if not p.is_file():
        raise LogError(src, "log file not found")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(p, src)
    raw = p.read_bytes()
    if not raw.strip():
        raise LogError(src, "empty file")
    enc = _encoding(raw, encoding, src)
    text = raw.decode(enc)
    header_line = text.split("\n", 1)[0].rstrip("\r")
    if delimiter is None:
        counts = {d: header_line.count(d) for d in ("\t", ",", ";", "|")}
        delimiter = max(counts, key=counts.get)
        if counts[delimiter] == 0:
            raise LogError(src, "one column only: cannot tell the delimiter", row=1)
    headers = [h.strip() for h in header_line.split(delimiter)]
    if len(set(headers)) != len(headers):
        dup = next(h for h in headers if headers.count(h) > 1)
        raise LogError(src, "duplicate header", row=1, column=dup)
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=headers, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in headers},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        row = None
        if "Row #" in msg:  # pyarrow counts data rows from 1 after the skipped header
            try:
                row = int(msg.split("Row #")[1].split(":")[0]) + 1
            except ValueError:
                row = None
        raise LogError(src, f"malformed CSV: {msg.splitlines()[0]}", row=row) from None
    frame = pd.DataFrame(
        {h: table.column(h).to_numpy(zero_copy_only=False) for h in headers}, dtype=object
    )
    return headers, frame


def _read_xlsx(p: Path, src: str):
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        raise LogError(src, "reading XLSX needs openpyxl (pip install openpyxl)") from None
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:
        raise LogError(src, f"not a readable XLSX workbook: {exc}") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    head = next(rows, None)
    if head is None:
        raise LogError(src, "empty worksheet")
    headers = ["" if h is None else str(h).strip() for h in head]
    while headers and headers[-1] == "":
        headers.pop()
    if len(set(headers)) != len(headers):
        dup = next(h for h in headers if headers.count(h) > 1)
        raise LogError(src, "duplicate header", row=1, column=dup)
    data = []
    for r in rows:
        cells = list(r[: len(headers)]) + [None] * (len(headers) - len(r))
        data.append(["" if c is None else _cell_text(c) for c in cells])
    wb.close()
    frame = pd.DataFrame(data, columns=headers, dtype=object)
    return headers, frame


def _cell_text(c: Any) -> str:
    import datetime as dt

    if isinstance(c, dt.datetime):
        return c.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(c, dt.time):
        return c.strftime("%H:%M:%S")
    if isinstance(c, dt.date):
        return c.strftime("%Y-%m-%d")
    if isinstance(c, float) and c.is_integer():
        return str(int(c))
    return str(c)


# --------------------------------------------------------------------------- parsing


def _first_bad(ok: np.ndarray, col: pd.Series, src: str, header: str, what: str):
    i = int(np.flatnonzero(~ok)[0])
    raise LogError(src, f"{what}, got {col.iloc[i]!r}", row=i + 2, column=header)


def _clock_minutes(col: pd.Series, src: str, header: str) -> np.ndarray:
    """'H:MM[:SS]' clock strings → minutes (NaN where empty)."""
    s = col.astype(str).str.strip()
    empty = s.eq("").to_numpy()
    parts = s.str.split(":", n=2, expand=True)
    if parts.shape[1] < 2:
        parts[1] = None
    if parts.shape[1] < 3:
        parts[2] = "0"
    h = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    m = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    sec = pd.to_numeric(parts[2].fillna("0"), errors="coerce").to_numpy(dtype=float)
    out = h * 60 + m + sec / 60
    ok = empty | (np.isfinite(out) & (h >= 0) & (h < 48) & (m >= 0) & (m < 60) & (sec >= 0))
    ok &= empty | (sec < 61)
    if not ok.all():
        _first_bad(ok, col, src, header, "expected a clock time H:MM[:SS]")
    out[empty] = np.nan
    return out


def _datetimes(col: pd.Series, src: str, header: str) -> tuple[np.ndarray, np.ndarray]:
    """Date-time strings → (day as datetime64[ns] midnight, minutes since it); NaN if empty."""
    s = col.astype(str).str.strip().str.replace("/", "-", regex=False)
    empty = s.eq("").to_numpy()
    t = pd.to_datetime(s.where(~empty, None), format="ISO8601", errors="coerce")
    ok = empty | t.notna().to_numpy()
    if not ok.all():
        _first_bad(ok, col, src, header, "expected a date and time like 2024-03-01 09:15:02")
    day = t.dt.normalize()
    minutes = ((t - day).dt.total_seconds() / 60).to_numpy(dtype=float)
    return day.to_numpy(), minutes


def _pick(headers: list[str], mapping: Mapping, key: str, src: str) -> str | None:
    for h in mapping.columns.get(key, []):
        if h in headers:
            return h
    if key in REQUIRED:
        want = " or ".join(repr(h) for h in mapping.columns.get(key, []))
        raise LogError(
            src, f"no column for {key} (looked for {want}); headers are {headers}", row=1
        )
    return None


def _from_mapping(path: str | Path, mapping: Mapping) -> pd.DataFrame:
    src = str(path)
    headers, raw = read_table(path, mapping.delimiter, mapping.encoding)
    n = len(raw)
    h = {key: _pick(headers, mapping, key, src) for key in FIELDS}
    if h["call_time"] is None and h["start_time"] is None:
        raise LogError(src, "no call or service-start time column", row=1)
    out: dict[str, Any] = {"file": Path(src).name, "row": np.arange(2, n + 2)}
    out["ticket"] = raw[h["ticket"]].astype(str).str.strip() if h["ticket"] else ""
    matter = raw[h["matter"]].astype(str).str.strip()
    if (bad := matter.eq("").to_numpy()).any():
        _first_bad(~bad, matter, src, h["matter"], "empty matter")
    out["matter"] = matter
    # times: clock times on a date column, or full date-times
    if h["date"]:
        dcol = raw[h["date"]].astype(str).str.strip()
        day = pd.to_datetime(dcol, format="mixed", errors="coerce")
        if (bad := day.isna().to_numpy()).any():
            _first_bad(~bad, dcol, src, h["date"], "expected a date like 2024-03-01")
        day = day.dt.normalize().to_numpy()

        def times(key):
            return _clock_minutes(raw[h[key]], src, h[key]) if h[key] else np.full(n, np.nan)

        arrive = times("ticket_time")
    else:
        day, arrive = _datetimes(raw[h["ticket_time"]], src, h["ticket_time"])

        def times(key):
            if not h[key]:
                return np.full(n, np.nan)
            d2, m2 = _datetimes(raw[h[key]], src, h[key])
            known = ~np.isnan(m2)
            delta = np.zeros(n)
            delta[known] = (d2[known] - day[known]) / np.timedelta64(1, "m")
            return np.where(known, m2 + delta, np.nan)

    if np.isnan(arrive).any():
        ok = ~np.isnan(arrive)
        _first_bad(ok, raw[h["ticket_time"]], src, h["ticket_time"], "empty ticket time")
    out["day"] = day
    out["arrive"] = arrive
    for key, name in (
        ("call_time", "call"),
        ("start_time", "start"),
        ("end_time", "end"),
        ("leave_time", "leave"),
    ):
        out[name] = times(key)
    if h["call_time"] is None:
        out["call"] = out["start"].copy()
    if h["start_time"] is None:
        out["start"] = out["call"].copy()
    out["window"] = raw[h["window"]].astype(str).str.strip() if h["window"] else ""
    status = raw[h["status"]].astype(str).str.strip()
    mapped = status.map(mapping.status)
    if mapped.isna().any():
        if "*" in mapping.status:
            mapped = mapped.fillna(mapping.status["*"])
        else:
            ok = mapped.notna().to_numpy()
            known = sorted(k for k in mapping.status if k != "*")
            _first_bad(ok, status, src, h["status"], f"status value not in the mapping {known}")
    out["outcome"] = mapped.to_numpy(dtype=object)
    if h["priority"]:
        pr = raw[h["priority"]].astype(str).str.strip()
        yes = {"是": "1", "否": "0", "": "0", "Y": "1", "N": "0", "true": "1", "false": "0"}
        num = pd.to_numeric(pr.replace(yes), errors="coerce")
        if (bad := num.isna().to_numpy()).any():
            _first_bad(~bad, pr, src, h["priority"], "expected a priority number or 是/否")
        out["priority"] = num.to_numpy(dtype=np.int64)
    else:
        out["priority"] = np.zeros(n, dtype=np.int64)
    if h["rating"]:
        rt = raw[h["rating"]].astype(str).str.strip()
        num = pd.to_numeric(rt.replace(RATING_WORDS), errors="coerce")
        bad = (rt.ne("").to_numpy() & num.isna().to_numpy()) | (num.notna() & ~num.between(1, 5))
        if np.asarray(bad).any():
            _first_bad(~np.asarray(bad), rt, src, h["rating"], "expected a rating 1..5 or 满意...")
        out["rating"] = num.to_numpy(dtype=float)
    else:
        out["rating"] = np.full(n, np.nan)
    out["citizen"] = raw[h["citizen"]].astype(str).str.strip() if h["citizen"] else ""
    frame = pd.DataFrame(out)
    return frame


BANK_COLUMNS = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)


def _anonymous_bank(path: str | Path) -> pd.DataFrame:
    """The Anonymous Bank call log: a call = a ticket (see module docstring)."""
    src = str(path)
    headers, raw = read_table(path, "\t", "auto")
    missing = [c for c in BANK_COLUMNS if c not in headers]
    if missing:
        raise LogError(src, f"not an anonymous-bank log: missing columns {missing}", row=1)
    n = len(raw)

    def num(c):
        v = pd.to_numeric(raw[c].astype(str).str.strip(), errors="coerce")
        if (bad := v.isna().to_numpy()).any():
            _first_bad(~bad, raw[c], src, c, "expected a number")
        return v.to_numpy(dtype=float)

    dcol = raw["date"].astype(str).str.strip()
    day = pd.to_datetime(dcol, format="%y%m%d", errors="coerce")
    if (bad := day.isna().to_numpy()).any():
        _first_bad(~bad, dcol, src, "date", "expected a date YYMMDD")
    vru_entry = _clock_minutes(raw["vru_entry"], src, "vru_entry")
    vru_exit = _clock_minutes(raw["vru_exit"], src, "vru_exit")
    q_start = _clock_minutes(raw["q_start"], src, "q_start")
    ser_start = _clock_minutes(raw["ser_start"], src, "ser_start")
    q_time, ser_time = num("q_time") / 60, num("ser_time") / 60
    outcome_raw = raw["outcome"].astype(str).str.strip()
    known = outcome_raw.isin(["AGENT", "HANG", "PHANTOM"]).to_numpy()
    if not known.all():
        _first_bad(known, outcome_raw, src, "outcome", "expected AGENT, HANG or PHANTOM")
    agent = outcome_raw.eq("AGENT").to_numpy()
    queued = q_time > 0

    # a clock time earlier than vru_entry has passed midnight
    def after(t):
        return np.where(t < vru_entry - 1e-9, t + 1440, t)

    q_start, ser_start, vru_exit = after(q_start), after(ser_start), after(vru_exit)
    # the queue's clock and the agent's differ by a second at times: a served
    # call is called when its service starts, never before it queued
    arrive = np.where(queued, q_start, np.where(agent, ser_start, vru_exit))
    arrive = np.where(agent, np.minimum(arrive, ser_start), arrive)
    call = np.where(agent, ser_start, np.nan)
    start = np.where(agent, ser_start, np.nan)
    end = np.where(agent, ser_start + ser_time, np.nan)
    leave = np.where(~agent & queued, arrive + q_time, np.nan)
    outcome = np.where(
        outcome_raw.eq("PHANTOM").to_numpy(),
        "ghost",
        np.where(agent, "served", np.where(queued, "abandoned", "never_queued")),
    )
    server = raw["server"].astype(str).str.strip()
    cust = raw["customer_id"].astype(str).str.strip()
    frame = pd.DataFrame(
        {
            "file": Path(src).name,
            "row": np.arange(2, n + 2),
            "ticket": raw["vru+line"].astype(str).str.strip() + "-" + raw["call_id"].astype(str),
            "day": day.to_numpy(),
            "matter": raw["type"].astype(str).str.strip(),
            "arrive": arrive,
            "call": call,
            "start": start,
            "end": end,
            "leave": leave,
            "window": server.where(server.ne("NO_SERVER"), "").to_numpy(dtype=object),
            "outcome": outcome.astype(object),
            "priority": (num("priority") >= 2).astype(np.int64),  # 2 = high priority
            "rating": np.nan,
            "citizen": cust.where(cust.ne("0"), "").to_numpy(dtype=object),
        }
    )
    return frame


# --------------------------------------------------------------------------- cleaning


def read_log(
    paths: list[str | Path],
    fmt: str | None = None,
    mapping: Mapping | str | Path | None = None,
) -> TicketLog:
    """Read and clean one or more log files with a built-in format or a mapping file.

    Cleaning (each dropped row counted in ``TicketLog.dropped``): ghost rows;
    calls that never queued; duplicates (same ticket number, day and ticket
    time: the first is kept); a missed call whose ticket was re-called later
    (the later row is kept) — a missed call never re-called counts as an
    abandonment at its call time; rows with impossible times (call before
    ticket, start before call, end before start); served rows with no call
    time; zero-length services or services at no window.  Times past midnight
    are kept (+24 h) and counted in ``notes``.
    """
    if not paths:
        raise LogError("<command line>", "no log file given")
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    if mapping is None:
        if fmt is None:
            fmt = "qms-zh"
        if fmt not in FORMATS:
            raise LogError("--format", f"unknown format {fmt!r}; formats are {list(FORMATS)}")
        mapping = FORMATS[fmt]
    frames = []
    for p in paths:
        if mapping.adapter == "anonymous-bank":
            frames.append(_anonymous_bank(p))
        else:
            frames.append(_from_mapping(p, mapping))
    tickets = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    tickets["day"] = pd.to_datetime(tickets["day"])
    log = TicketLog(
        tickets,
        pd.DataFrame(columns=["reason", "description", "rows"]),
        files=list(map(str, paths)),
    )
    clean(log)
    return log


def clean(log: TicketLog) -> None:
    """Apply the cleaning rules of ``read_log`` in place."""
    t = log.tickets
    log.drop((t["outcome"] == "ghost").to_numpy(), "ghost")
    t = log.tickets
    log.drop((t["outcome"] == "never_queued").to_numpy(), "never_queued")
    t = log.tickets
    if t["ticket"].astype(str).ne("").any():
        key = ["ticket", "day", "arrive", "outcome", "call"]
        dup = t.duplicated(subset=key, keep="first").to_numpy()
    else:
        cols = [c for c in COLUMNS if c not in ("file", "row")]
        dup = t.duplicated(subset=cols, keep="first").to_numpy()
    log.drop(dup, "duplicate")
    t = log.tickets
    # missed calls re-called later: the same ticket (number and day) appears again
    if t["ticket"].astype(str).ne("").any():
        missed = (t["outcome"] == "missed").to_numpy()
        if missed.any():
            other = t.loc[~missed, ["ticket", "day"]].drop_duplicates()
            again = (
                t.loc[missed, ["ticket", "day"]]
                .merge(other.assign(_again=True), how="left", on=["ticket", "day"])["_again"]
                .fillna(False)
                .to_numpy(dtype=bool)
            )
            recalled = np.zeros(len(t), dtype=bool)
            recalled[np.flatnonzero(missed)[again]] = True
            log.drop(recalled, "missed_recalled")
            t = log.tickets
    # a missed call never re-called: the citizen had gone by the call
    missed = (t["outcome"] == "missed").to_numpy()
    if missed.any():
        t.loc[missed, "outcome"] = "abandoned"
        t.loc[missed, "leave"] = t.loc[missed, "call"].where(
            t.loc[missed, "leave"].isna(), t.loc[missed, "leave"]
        )
        t.loc[missed, ["call", "start", "end"]] = np.nan
        log.notes.append(f"{int(missed.sum())} missed calls never re-called counted as abandoned")
    served = (t["outcome"] == "served").to_numpy()
    # past midnight (mapping logs with clock times): a time well before the ticket
    past = 0
    for c in ("call", "start", "end", "leave"):
        x = t[c].to_numpy(dtype=float)
        wrap = x < t["arrive"].to_numpy() - 12 * 60
        if wrap.any():
            t.loc[wrap, c] = x[wrap] + 1440
            past += int(wrap.sum())
    n_past = (
        past
        + int(
            (
                np.nanmax(t[["arrive", "call", "end"]].to_numpy(dtype=float), axis=1, initial=0)
                >= 1440
            ).sum()
        )
        if len(t)
        else 0
    )
    if n_past:
        log.notes.append(f"{n_past} rows with times past midnight kept (+24 h on the ticket's day)")
    arrive, call = t["arrive"].to_numpy(), t["call"].to_numpy(dtype=float)
    start, end = t["start"].to_numpy(dtype=float), t["end"].to_numpy(dtype=float)
    leave = t["leave"].to_numpy(dtype=float)
    eps = 1e-6
    with np.errstate(invalid="ignore"):
        bad = (call < arrive - eps) | (start < call - eps) | (end < start - eps)
        bad |= leave < arrive - eps
    log.drop(bad, "impossible_times")
    t = log.tickets
    served = (t["outcome"] == "served").to_numpy()
    nocall = served & (t["call"].isna() | t["start"].isna() | t["end"].isna()).to_numpy()
    log.drop(nocall, "missing_call")
    t = log.tickets
    served = (t["outcome"] == "served").to_numpy()
    with np.errstate(invalid="ignore"):
        zero = served & (
            ((t["end"] - t["start"]).to_numpy(dtype=float) <= 0)
            | t["window"].astype(str).eq("").to_numpy()
        )
    log.drop(zero, "zero_service")
