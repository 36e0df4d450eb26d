//! CSV exports: every list and report writes exactly the rows its filters show, all pages, in the
//! viewer's panels, with the page's column names. Numbers are written as numbers (money as a decimal
//! beside its currency, never summed across currencies), times in ISO 8601 UTC, and text cells are
//! quoted (RFC 4180) and defused: a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab
//! or a carriage return first) gets a leading `'`. Lists stream their keyset pages (`stream`).

mod stream;

pub use stream::{
    csv_response, lambda_cap, AddPage, Page, Pages, ReadPages, RowCells, LAMBDA_CAP_BYTES, PAGE_ROWS,
};

/// The "Export CSV" link of a page: `href` is the export's path with the page's current filters.
pub fn link(href: &str) -> maud::Markup {
    maud::html! { a.export href=(href) download title="Every row these filters match, as CSV" { "Export CSV" } }
}

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Int(Option<i64>),
    /// Micro-units, written as an exact decimal (`12.50`).
    Money(Option<i64>),
    Num(Option<f64>),
    Text(Option<String>),
    /// Unix seconds, written as `2026-11-23T14:05:09Z`.
    Time(Option<i64>),
}

pub fn int(v: impl Into<Option<i64>>) -> Cell {
    Cell::Int(v.into())
}
pub fn money(v: Option<i64>) -> Cell {
    Cell::Money(v)
}
pub fn num(v: impl Into<Option<f64>>) -> Cell {
    Cell::Num(v.into())
}
pub fn text(v: impl AsRef<str>) -> Cell {
    Cell::Text(Some(v.as_ref().to_string()))
}
pub fn opt_text(v: Option<&str>) -> Cell {
    Cell::Text(v.map(str::to_string))
}
pub fn time(v: impl Into<Option<i64>>) -> Cell {
    Cell::Time(v.into())
}

impl Cell {
    fn write(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Cell::Int(Some(n)) => {
                let _ = write!(out, "{n}");
            }
            Cell::Money(Some(m)) => crate::pp::money::write(*m, out),
            Cell::Num(Some(f)) if f.is_finite() => {
                let _ = write!(out, "{f}");
            }
            Cell::Text(Some(s)) => write_text(s, out),
            Cell::Time(Some(t)) => out.push_str(&crate::time::iso_utc(*t)),
            _ => {}
        }
    }
}

/// A text cell: defused if a spreadsheet would read it as a formula, quoted if it holds a separator,
/// a quote or a line break (or starts or ends with a space a reader might trim).
pub fn write_text(s: &str, out: &mut String) {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ');
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

/// One CSV line (CRLF-terminated, as RFC 4180 has it).
pub fn write_row(cells: &[Cell], out: &mut String) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        c.write(out);
    }
    out.push_str("\r\n");
}

/// The header line: the page's column names.
pub fn header_line(names: &[&str], out: &mut String) {
    let cells: Vec<Cell> = names.iter().map(text).collect();
    write_row(&cells, out);
}

/// A whole (small) CSV at once: a report's rows, already computed and bounded by the report itself.
pub fn whole(header: &[&str], rows: &[Vec<Cell>]) -> String {
    let mut out = String::new();
    header_line(header, &mut out);
    for r in rows {
        write_row(r, &mut out);
    }
    out
}

/// `whole_response` of `rows`, each written as its line by `cells`.
pub fn report_csv<'a, T: 'a>(
    name: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = &'a T>,
    cells: impl Fn(&T) -> Vec<Cell>,
) -> axum::response::Response {
    let lines: Vec<Vec<Cell>> = rows.into_iter().map(cells).collect();
    whole_response(name, header, &lines)
}

/// A report's CSV as an attachment: its rows are computed whole by the report (bounded by its own
/// grouping: services, staff, users over a threshold), so there is nothing to stream.
pub fn whole_response(name: &str, header: &[&str], rows: &[Vec<Cell>]) -> axum::response::Response {
    use axum::http::header as h;
    use axum::response::IntoResponse;
    let disposition = format!("attachment; filename=\"{name}.csv\"");
    (
        [
            (h::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (h::CONTENT_DISPOSITION, disposition),
            (h::CACHE_CONTROL, "no-store".to_string()),
        ],
        whole(header, rows),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: &[Cell]) -> String {
        let mut s = String::new();
        write_row(cells, &mut s);
        s
    }

    #[test]
    fn numbers_stay_numbers_and_times_are_iso_utc() {
        assert_eq!(
            line(&[
                int(-5),
                money(Some(12_500_000)),
                money(Some(-1)),
                num(66.5),
                time(1_795_443_909),
                int(None)
            ]),
            "-5,12.50,-0.000001,66.5,2026-11-23T14:25:09Z,\r\n"
        );
    }

    #[test]
    fn hostile_text_is_quoted_and_defused() {
        let cases = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
            ("+1", "\"'+1\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\tcmd", "\"'\tcmd\""),
            ("ok=1", "ok=1"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(line(&[text(raw)]), format!("{want}\r\n"), "{raw:?}");
        }
    }
}
