//! Password hashing with argon2id (m = 19456 KiB, t = 2, p = 1). Hashing is slow on purpose, so it runs on
//! blocking threads, at most one per core at a time, never on the async workers.
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

pub const MIN_PASSWORD_LENGTH: usize = 12;
/// Longer inputs are refused before hashing, so nobody can make the server hash megabytes.
pub const MAX_PASSWORD_LENGTH: usize = 256;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password to a PHC string.
pub fn hash(password: &str) -> Result<String, String> {
    argon2().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// A hash of a password nobody knows, verified when the email is unknown so both cases take the same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash("dummy password for timing").expect("hash"));

/// Checks `password` against `stored`; with no stored hash, spends the same time and fails.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let (stored, known) = match stored {
        Some(stored) => (stored, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let matches =
        PasswordHash::new(stored).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok());
    known && matches
}

/// Whether a new password is acceptable; the reason when not.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        Err(format!("Enter a password of at least {MIN_PASSWORD_LENGTH} characters."))
    } else if password.len() > MAX_PASSWORD_LENGTH {
        Err(format!("Enter a password of at most {MAX_PASSWORD_LENGTH} characters."))
    } else {
        Ok(())
    }
}

/// Hashes with the production settings on one thread per core for `duration`; returns hashes per second, the
/// most sign-ins per second this machine can check.
pub fn hash_rate(duration: std::time::Duration) -> f64 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let start = std::time::Instant::now();
    let hashes: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = 0u64;
                    while start.elapsed() < duration {
                        hash("a password to measure hashing").expect("hash");
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("hashing thread")).sum()
    });
    hashes as f64 / start.elapsed().as_secs_f64()
}

/// Runs hashing work on the blocking pool, bounded to the number of cores.
#[derive(Clone)]
pub struct HashingPool {
    permits: Arc<Semaphore>,
}

impl Default for HashingPool {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self { permits: Arc::new(Semaphore::new(cores)) }
    }
}

impl HashingPool {
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let _permit = self.permits.acquire().await.expect("hashing pool is never closed");
        tokio::task::spawn_blocking(work).await.expect("hashing task panicked")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_production_settings_and_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("wrong horse battery", Some(&stored)));
        assert!(!verify("correct horse battery", None));
        assert!(!verify("anything", Some("not a hash")));
    }

    #[test]
    fn new_passwords_need_a_sensible_length() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pass").is_ok());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_LENGTH + 1)).is_err());
    }
}
