//! The refill promise of a name. Panels write it in every order and casing: the number before or after
//! the word (`R30`, `30 Days Refill`, `Refill 30D`, `[Refill: 30 Days]`), lifetime spellings (`Lifetime`,
//! `Life Time`, `R∞`, `♻️ Lifetime`), guarantee words standing for refill (`Guaranteed 30 Days`,
//! `Warranty`), and "no refill" forms (`No Refill`, `NR`, `Refill: No`). "Non Drop" promises that the
//! count will not fall, not a refill, so it reads as nothing.

use super::Refill;

/// A word of the name with its byte span, so the text between two words can be checked.
#[derive(Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

/// Runs of letters, digits and `∞`; the recycling sign `♻` (refill's emoji) is a word of its own.
fn words(lower: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in lower.char_indices() {
        let in_word = c.is_alphanumeric() || c == '∞';
        if let Some(s) = start.filter(|_| !in_word) {
            out.push(Word { text: &lower[s..i], start: s, end: i });
            start = None;
        }
        if c == '♻' {
            out.push(Word { text: "♻", start: i, end: i + c.len_utf8() });
        } else if in_word && start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(Word { text: &lower[s..], start: s, end: lower.len() });
    }
    out
}

const REFILL_WORDS: &[&str] =
    &["refill", "refil", "refills", "guarantee", "guaranteed", "guaranty", "warranty", "♻"];
const NO_WORDS: &[&str] = &["no", "non", "none", "without", "not"];
const LIFETIME_WORDS: &[&str] = &["lifetime", "∞", "r∞"];

/// Days in one unit word after a number: `D`, `Days`, `Month`, `Year`…
fn unit_days(word: &str) -> Option<u32> {
    match word {
        "d" | "day" | "days" => Some(1),
        "w" | "week" | "weeks" => Some(7),
        "month" | "months" | "mo" => Some(30),
        "y" | "yr" | "year" | "years" => Some(365),
        _ => None,
    }
}

/// `30d`, `30days`, `1month` glued together: the days it means.
fn glued_days(word: &str) -> Option<u32> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits == word.len() {
        return None;
    }
    let n: u32 = word[..digits].parse().ok()?;
    n.checked_mul(unit_days(&word[digits..])?)
}

/// Words close enough to belong together: nothing between them but spaces and light punctuation.
/// A `/` (a speed: `500/Day`), a `|` or a bracket edge ends the phrase.
fn joined(lower: &str, a: &Word, b: &Word) -> bool {
    let (from, to) = if a.end <= b.start { (a.end, b.start) } else { (b.end, a.start) };
    lower.get(from..to).is_some_and(|gap| {
        gap.chars().count() <= 3 && gap.chars().all(|c| matches!(c, ' ' | ':' | '-' | '(' | ')' | '\u{fe0f}'))
    })
}

/// The days a duration starting at word `i` states (`30`, `30 Days`, `30D`, `1 Month`), and how
/// many words it took. A bare number counts only when `bare` allows it (after the refill word).
fn duration_at(lower: &str, w: &[Word], i: usize, bare: bool) -> Option<(u32, usize)> {
    let word = w.get(i)?;
    if let Some(d) = glued_days(word.text) {
        return Some((d, 1));
    }
    let n: u32 = word.text.parse().ok()?;
    if let Some(unit) = w.get(i + 1).filter(|u| joined(lower, word, u)).and_then(|u| unit_days(u.text)) {
        return Some((n.checked_mul(unit)?, 2));
    }
    bare.then_some((n, 1))
}

/// The duration that ends at word `j` (`30 Days` before "Refill"): a number with a unit, never bare.
fn duration_ending_at(lower: &str, w: &[Word], j: usize) -> Option<u32> {
    let last = w.get(j)?;
    if let Some(d) = glued_days(last.text) {
        return Some(d);
    }
    let unit = unit_days(last.text)?;
    let n = w.get(j.checked_sub(1)?).filter(|n| joined(lower, n, last))?;
    n.text.parse::<u32>().ok()?.checked_mul(unit)
}

fn is_lifetime(lower: &str, w: &[Word], i: usize) -> bool {
    let Some(word) = w.get(i) else { return false };
    LIFETIME_WORDS.contains(&word.text)
        || (word.text == "life" && w.get(i + 1).is_some_and(|t| t.text == "time" && joined(lower, word, t)))
}

/// What the refill word at `i` says, reading the words after it, then those before it.
fn around_refill_word(lower: &str, w: &[Word], i: usize) -> Option<Refill> {
    let word = &w[i];
    let next = w.get(i + 1).filter(|n| joined(lower, word, n));
    if let Some(n) = next {
        if NO_WORDS.contains(&n.text) {
            return Some(Refill::Days(0));
        }
        if is_lifetime(lower, w, i + 1) {
            return Some(Refill::Lifetime("lifetime"));
        }
        if let Some((d, _)) = duration_at(lower, w, i + 1, true) {
            return Some(Refill::Days(d));
        }
    }
    let prev = i.checked_sub(1).filter(|&p| joined(lower, &w[p], word))?;
    if NO_WORDS.contains(&w[prev].text) {
        return Some(Refill::Days(0));
    }
    let lifetime_before = is_lifetime(lower, w, prev)
        || (w[prev].text == "time" && prev > 0 && is_lifetime(lower, w, prev - 1));
    if lifetime_before {
        return Some(Refill::Lifetime("lifetime"));
    }
    duration_ending_at(lower, w, prev).map(Refill::Days)
}

pub(super) fn refill(lower: &str) -> Option<Refill> {
    let w = words(lower);
    // A refill word with a duration, a "no" or a lifetime beside it is the clearest statement.
    for i in 0..w.len() {
        let t = w[i].text;
        if ["norefill", "nonrefill", "nr"].contains(&t) {
            return Some(Refill::Days(0));
        }
        if t == "r∞" {
            return Some(Refill::Lifetime("lifetime"));
        }
        if REFILL_WORDS.contains(&t) {
            if let Some(r) = around_refill_word(lower, &w, i) {
                return Some(r);
            }
        }
        // `R30`, `R30D`, `R-30`, `Refill30`.
        let glued = ["refill", "r"].iter().find_map(|p| t.strip_prefix(p)).filter(|rest| !rest.is_empty());
        if let Some(d) = glued.and_then(|rest| rest.parse::<u32>().ok().or_else(|| glued_days(rest))) {
            return Some(Refill::Days(d));
        }
        if t == "r" {
            let next = w.get(i + 1).filter(|n| lower.get(w[i].end..n.start) == Some("-"));
            if let Some(d) = next.and_then(|n| n.text.parse::<u32>().ok()) {
                return Some(Refill::Days(d));
            }
        }
    }
    // A lifetime standing alone (`[ Lifetime ]`, `♻️ Lifetime`) promises a lifetime refill.
    (0..w.len())
        .any(|i| is_lifetime(lower, &w, i) && w[i].text != "∞")
        .then_some(Refill::Lifetime("lifetime"))
}

#[cfg(test)]
mod tests {
    use super::super::{parse, Refill};

    /// `name<TAB>refill` lines in the form of `service-names.tsv`'s third column: days, 0 for explicitly
    /// none, `lifetime`, or empty when the name does not say.
    const CASES: &str = "\
Instagram Followers R30\t30
Instagram Followers [r30]\t30
Likes | R365 | 5K/D\t365
Likes [R-30]\t30
Likes R30D\t30
Likes 30 Days Refill\t30
Likes 30 days refill\t30
Likes [30 DAYS REFILL]\t30
Likes 30D Refill\t30
Likes 30-Day Refill\t30
Likes Refill 30D\t30
Likes Refill 30 Days\t30
Likes REFILL 30 days\t30
Likes [Refill: 30 Days]\t30
Likes [Refill: 30D]\t30
Likes [Refill : 30]\t30
Likes (Refill 60 Days)\t60
Likes Refill30\t30
Followers [Refill: 1 Month]\t30
Followers 1 Year Refill\t365
Followers Lifetime\tlifetime
Followers [ Lifetime ]\tlifetime
Followers Life Time\tlifetime
Followers LIFE TIME REFILL\tlifetime
Followers LifeTime\tlifetime
Followers lifetime refill\tlifetime
Followers Refill: Lifetime\tlifetime
Followers [Refill Lifetime]\tlifetime
Followers R∞\tlifetime
Threads [ 500/Day ] [ R∞ ]\tlifetime
Followers ♻️ Lifetime\tlifetime
Followers ♻️Lifetime\tlifetime
Followers ♻️ 30D\t30
Followers ♻️ 30 Days\t30
Followers Guaranteed 30 Days\t30
Followers 30 Days Guaranteed\t30
Followers 30 Days Guarantee\t30
Followers [Guarantee: 60 Days]\t60
Followers Guaranteed Lifetime\tlifetime
Followers Lifetime Guarantee\tlifetime
Followers Warranty 30 Days\t30
Followers 90 Days Warranty\t90
Followers [WARRANTY: 90D]\t90
Followers No Refill\t0
Followers NO REFILL\t0
Followers no-refill\t0
Followers Non Refill\t0
Followers Without Refill\t0
Followers NR\t0
Plays NR\t0
Followers [NR]\t0
Followers Refill: No\t0
Followers [Refill: None]\t0
Followers [Refill:No]\t0
Followers No Guarantee\t0
Followers Non Drop\t
Followers [ Non drop ] [ 5k-10k/day ]\t
Followers NON DROP | 10K/D\t
Followers Non-Drop 30 Days Refill\t30
Followers Non Drop | R30\t30
Followers [Speed: 500/Day] Refill\t
Followers [10K] [Max: 50K]\t
Followers Speed 500/Day\t
Views [ S 8 ] [20K]\t
Followers Refill\t
Followers Guaranteed\t
Followers Real Accounts\t
Followers 30 Days\t
";

    #[test]
    fn reads_every_refill_form_in_any_order_and_casing() {
        for line in CASES.lines() {
            let (name, want) = line.split_once('\t').unwrap_or((line, ""));
            let want = match want {
                "" => None,
                "lifetime" => Some(Refill::Lifetime("lifetime")),
                d => Some(Refill::Days(d.parse().unwrap_or(u32::MAX))),
            };
            assert_eq!(parse(name).refill_days, want, "refill of {name:?}");
        }
    }

    #[test]
    fn a_refill_promise_does_not_disturb_speed_or_start() {
        let p = parse("IG Followers [Refill: 30 Days] [Speed: 5K/Day] [Start: 0-1 Hour]");
        assert_eq!((p.min_per_day, p.refill_days), (Some(5_000), Some(Refill::Days(30))));
        assert_eq!(parse("Views 30 Days Refill | 10K/D").min_per_day, Some(10_000));
    }
}
