//! The password rule: long enough, not trivially guessable.

const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "123456789",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "admin12345",
    "administrator",
    "letmein123",
    "welcome123",
    "changeme",
    "1q2w3e4r5t",
    "abcdefghij",
    "0987654321",
    "passw0rd123",
];

pub const MIN_LEN: usize = 10;

/// `Err(reason)` for a weak password, in words a person can act on.
pub fn check(password: &str, username: &str) -> Result<(), String> {
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < MIN_LEN {
        return Err(format!("Use at least {MIN_LEN} characters."));
    }
    if chars.len() > 256 {
        return Err("Use at most 256 characters.".into());
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err("That password is on the list of most common passwords.".into());
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err("The password must not contain the username.".into());
    }
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err("Use more than three different characters.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check("short", "a").is_err());
        assert!(check("aaaaaaaaaaaa", "a").is_err());
        assert!(check("Password123", "bob").is_err());
        assert!(check("alice-is-great", "alice").is_err());
        assert!(check("tall-orange-lamp-42", "alice").is_ok());
    }
}
