//! The reviewer's answer schema and its validation: anything that does not fit is a failure, never a
//! verdict.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub verdict: &'static str,
    pub flags: Vec<String>,
    pub reasoning: String,
    pub suggestion: String,
}

pub const VERDICTS: [&str; 3] = ["good", "mediocre", "bad"];

/// Validates a model answer against `{"verdict":"good|mediocre|bad","flags":[...],"reasoning":"...",
/// "suggestion":"..."}`. A code fence around the object is tolerated (some models add one).
pub fn parse(content: &str) -> Result<Verdict, String> {
    let mut text = content.trim();
    if let Some(rest) = text.strip_prefix("```") {
        text = rest.trim_start_matches("json").trim().trim_end_matches("```").trim();
    }
    let v: Value = serde_json::from_str(text).map_err(|_| "the answer is not a JSON object".to_string())?;
    let obj = v.as_object().ok_or("the answer is not a JSON object")?;
    let word = obj.get("verdict").and_then(Value::as_str).ok_or("the verdict is missing")?;
    let verdict = VERDICTS
        .iter()
        .find(|w| w.eq_ignore_ascii_case(word.trim()))
        .copied()
        .ok_or_else(|| format!("the verdict {:?} is not good, mediocre or bad", cut(word, 30)))?;
    let flags = obj
        .get("flags")
        .and_then(Value::as_array)
        .ok_or("flags are missing")?
        .iter()
        .map(|f| f.as_str().map(|s| cut(s.trim(), 40)).ok_or("a flag is not text"))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|f| !f.is_empty())
        .take(10)
        .collect();
    let reasoning = obj.get("reasoning").and_then(Value::as_str).ok_or("the reasoning is missing")?;
    let suggestion = obj.get("suggestion").and_then(Value::as_str).ok_or("the suggestion is missing")?;
    if reasoning.trim().is_empty() {
        return Err("the reasoning is empty".into());
    }
    Ok(Verdict {
        verdict,
        flags,
        reasoning: cut(reasoning.trim(), 2000),
        suggestion: cut(suggestion.trim(), 4000),
    })
}

fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_enforced() {
        let ok =
            parse(r#"{"verdict":"Bad","flags":["template"],"reasoning":"Short.","suggestion":"Say more."}"#)
                .unwrap();
        assert_eq!((ok.verdict, ok.flags.len()), ("bad", 1));
        assert!(parse(
            "```json\n{\"verdict\":\"good\",\"flags\":[],\"reasoning\":\"r\",\"suggestion\":\"\"}\n```"
        )
        .is_ok());
        assert!(parse("Looks fine to me!").is_err());
        assert!(parse(r#"{"verdict":"excellent","flags":[],"reasoning":"r","suggestion":""}"#).is_err());
        assert!(parse(r#"{"verdict":"good"}"#).is_err());
        assert!(parse(r#"{"verdict":"good","flags":"x","reasoning":"r","suggestion":""}"#).is_err());
    }
}
