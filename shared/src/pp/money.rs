//! Money arrives as `{"value": "12.50000", …}`, as a bare string, or as a number. It is stored as exact
//! integer micro-units (1 USD = 1,000,000), never as summed floats.

use serde_json::Value;

/// Parses a decimal string into micro-units; digits past the sixth decimal are rounded half up.
pub fn parse_decimal(s: &str) -> Option<i64> {
    let t = s.trim().replace([',', ' '], "");
    let t = t.trim_start_matches('$');
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros: i64 = 0;
    for (k, c) in frac.chars().take(6).enumerate() {
        micros += (c as i64 - '0' as i64) * 10i64.pow(5 - k as u32);
    }
    if frac.chars().nth(6).is_some_and(|c| c >= '5') {
        micros += 1;
    }
    let v = whole.checked_mul(1_000_000)?.checked_add(micros)?;
    Some(if neg { -v } else { v })
}

/// A money value in any of the shapes panels send; the currency when the panel names one.
pub fn parse(v: &Value) -> Option<(i64, Option<String>)> {
    match v {
        Value::Object(o) => {
            let micros = o.get("value").and_then(|x| parse(x).map(|p| p.0))?;
            let cur = o
                .get("currency_code")
                .or_else(|| o.get("currency"))
                .and_then(Value::as_str)
                .map(str::to_string);
            Some((micros, cur))
        }
        Value::String(s) => parse_decimal(s).map(|m| (m, None)),
        Value::Number(n) => parse_decimal(&n.to_string()).map(|m| (m, None)),
        _ => None,
    }
}

/// `12.5` for 12,500,000 micro-units: a decimal string without trailing zeros beyond cents.
pub fn format(micros: i64) -> String {
    let mut out = String::with_capacity(12);
    write(micros, &mut out);
    out
}

/// [`format`] onto the end of `out`, without a string of its own (list pages write hundreds).
pub fn write(micros: i64, out: &mut String) {
    use std::fmt::Write;
    if micros < 0 {
        out.push('-');
    }
    let m = micros.unsigned_abs();
    let (whole, mut frac) = (m / 1_000_000, m % 1_000_000);
    // Six decimals, trailing zeros dropped down to two.
    let mut width = 6;
    while width > 2 && frac % 10 == 0 {
        frac /= 10;
        width -= 1;
    }
    let _ = write!(out, "{whole}.{frac:0width$}");
}

/// `micros` rounded half away from zero to `decimals` (0–6) places, always that many: `fixed(999_000, 2)`
/// is "1.00", as Perfect Panel writes money ("0.12000" with 5, "$0.12" with 2).
pub fn fixed(micros: i64, decimals: u32) -> String {
    let decimals = decimals.min(6);
    let step = 10u64.pow(6 - decimals);
    let units = (micros.unsigned_abs() + step / 2) / step;
    let scale = 10u64.pow(decimals);
    let sign = if micros < 0 && units > 0 { "-" } else { "" };
    match decimals {
        0 => format!("{sign}{units}"),
        d => format!("{sign}{}.{:0width$}", units / scale, units % scale, width = d as usize),
    }
}

/// The decimals a currency is written with (ISO 4217): 0 for the yen and its kind, 3 for the dinars,
/// 2 for the rest and when the currency is unknown.
pub fn decimals(currency: Option<&str>) -> u32 {
    let code = currency.map(|c| c.trim().to_ascii_uppercase()).unwrap_or_default();
    match code.as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// The console's one way of writing an amount for people: the currency's decimals, thousands
/// separated ("3,820.29", "1,500" yen, "-1,000,000.00").
pub fn display(micros: i64, currency: Option<&str>) -> String {
    grouped(&fixed(micros, decimals(currency)))
}

/// A dollar amount for people ("$143.31", "-$1,250.00"): reports that sum in dollars.
pub fn usd(micros: i64) -> String {
    let s = display(micros, Some("USD"));
    match s.strip_prefix('-') {
        Some(abs) => format!("-${abs}"),
        None => format!("${s}"),
    }
}

/// A service's rate (per 1000) for people: its own precision kept (0.9448), thousands separated.
pub fn rate(micros: i64) -> String {
    grouped(&format(micros))
}

/// `s` (a decimal from [`fixed`] or [`format`]) with a comma between each three whole digits.
fn grouped(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map(|r| ("-", r)).unwrap_or(("", s));
    let (whole, frac) = rest.split_once('.').map(|(w, f)| (w, Some(f))).unwrap_or((rest, None));
    let mut out = String::with_capacity(s.len() + whole.len() / 3 + 1);
    out.push_str(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_for_people_use_the_currency_decimals_and_separators() {
        assert_eq!(display(143_312_500, Some("USD")), "143.31");
        assert_eq!(display(3_820_285_000, Some("USD")), "3,820.29");
        assert_eq!(display(1_562_500, None), "1.56");
        assert_eq!(display(1_000_000_000_000, Some("usd")), "1,000,000.00");
        assert_eq!(display(-1_234_567_890, Some("EUR")), "-1,234.57");
        assert_eq!(display(1_500_400_000, Some("JPY")), "1,500");
        assert_eq!(display(1_234_567, Some("KWD")), "1.235");
        assert_eq!(display(12_000, None), "0.01");
        assert_eq!(usd(-1_250_000_000), "-$1,250.00");
        assert_eq!(usd(143_312_500), "$143.31");
        assert_eq!(rate(944_800), "0.9448");
        assert_eq!(rate(12_345_678_900), "12,345.6789");
    }

    #[test]
    fn parses_every_shape_exactly() {
        assert_eq!(
            parse(&json!({"value": "12.50000", "currency_code": "USD"})),
            Some((12_500_000, Some("USD".into())))
        );
        assert_eq!(parse(&json!("0.12000")), Some((120_000, None)));
        assert_eq!(parse(&json!(0.1)), Some((100_000, None)));
        assert_eq!(parse(&json!(3)), Some((3_000_000, None)));
        assert_eq!(parse_decimal("-1.2345675"), Some(-1_234_568));
        assert_eq!(parse_decimal("1,234.5"), Some(1_234_500_000));
        assert_eq!(parse_decimal(".5"), Some(500_000));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse(&json!(null)), None);
        // Summing micro-units is exact where floats are not.
        let sum: i64 = (0..10).map(|_| parse_decimal("0.1").unwrap()).sum();
        assert_eq!(sum, 1_000_000);
        assert_eq!(format(12_500_000), "12.50");
        assert_eq!(format(120_000), "0.12");
        assert_eq!(format(1_234_567), "1.234567");
        // Rounded, carrying into the whole units.
        assert_eq!(fixed(999_000, 2), "1.00");
        assert_eq!(fixed(4_995_000, 2), "5.00");
        assert_eq!(fixed(4_994_999, 2), "4.99");
        assert_eq!(fixed(-12_500_000, 2), "-12.50");
        assert_eq!(fixed(-4_000, 2), "0.00");
        assert_eq!(fixed(1_234_567, 5), "1.23457");
        assert_eq!(fixed(120_000, 5), "0.12000");
        assert_eq!(fixed(2_500_000, 0), "3");
        assert_eq!(format(-5_000_000), "-5.00");
    }
}
