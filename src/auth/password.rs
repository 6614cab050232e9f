//! Password hashing with argon2id (m = 19456 KiB, t = 2, p = 1). Hashing is slow on purpose, so it runs on a
//! pool of threads, one per core, never on the async workers.
use argon2::password_hash::PasswordHasher as _;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, LazyLock, Mutex};

// The rule of a new password is a form field's rule (`forms::password`); hashing and checking are here.
pub use crate::forms::password::{MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_new_password};

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
    verify_in(&mut Vec::new(), password, stored)
}

/// `verify`, computing in `memory` (grown to the hash's size as needed) rather than in memory of its own.
fn verify_in(memory: &mut Vec<Block>, password: &str, stored: Option<&str>) -> bool {
    let (stored, known) = match stored {
        Some(stored) => (stored, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let matches = PasswordHash::new(stored).is_ok_and(|parsed| recomputes(memory, password, &parsed));
    known && matches
}

/// Whether hashing `password` with the stored hash's algorithm, version, settings and salt gives its output.
fn recomputes(memory: &mut Vec<Block>, password: &str, stored: &PasswordHash) -> bool {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(stored.algorithm.as_str()), Params::try_from(stored)) else {
        return false;
    };
    let Ok(version) = stored.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let expected = expected.as_bytes();
    let mut output = vec![0u8; expected.len()];
    let blocks = &mut memory[..params.block_count()];
    Argon2::new(algorithm, version, params).hash_password_into_with_memory(password.as_bytes(), salt, &mut output, blocks).is_ok()
        // Constant time, so the comparison tells nothing about how much matched.
        && output.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Verifies a password hashed with the production settings on one thread per core for `duration`; returns
/// hashes per second, the most sign-ins per second this machine can check.
pub fn hash_rate(duration: std::time::Duration) -> f64 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let start = std::time::Instant::now();
    let stored = hash("a password to measure hashing").expect("hash");
    let hashes: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| {
                    // The work of a sign-in: a verification in memory the thread keeps, as the pool does.
                    let (mut memory, mut done) = (Vec::new(), 0u64);
                    while start.elapsed() < duration {
                        assert!(verify_in(&mut memory, "a password to measure hashing", Some(&stored)));
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

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Runs hashing work on one thread per core: at most that many hashes at once, the rest wait their turn. Each
/// thread keeps its argon2 memory for the next sign-in; allocating 19 MiB per sign-in instead left the allocator
/// holding gigabytes after a storm of them.
#[derive(Clone)]
pub struct HashingPool {
    jobs: Sender<Job>,
}

impl Default for HashingPool {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..cores {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name("hashing".into())
                .spawn(move || work_through(&queue))
                .expect("start a hashing thread");
        }
        Self { jobs }
    }
}

/// A hashing thread's life: jobs in turn until the pool is dropped.
fn work_through(queue: &Mutex<Receiver<Job>>) {
    // A lower priority than the rest of the server and the database: during a storm of sign-ins, hashing takes
    // what the cores have left, and pages still answer promptly. Linux gives each thread its own nice value.
    // SAFETY: setpriority has no memory effects; a failure only leaves the priority as it was.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
    let mut memory = Vec::new();
    loop {
        // The lock is held only while waiting for the next job, never while working on one.
        let job = queue.lock().expect("hashing queue lock").recv();
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

impl HashingPool {
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        self.submit(move |_| work()).await
    }

    /// `verify` on the pool, in a hashing thread's own memory.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        self.submit(move |memory| verify_in(memory, &password, stored.as_deref())).await
    }

    async fn submit<T: Send + 'static>(&self, work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static) -> T {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // The asker may have gone (a closed connection); the work is done either way.
            let _ = answer.send(work(memory));
        });
        self.jobs.send(job).expect("hashing threads run as long as the pool");
        answered.await.expect("hashing job panicked")
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

    #[tokio::test]
    async fn the_pool_verifies_in_reused_memory_hashes_with_other_settings_too() {
        let pool = HashingPool::default();
        let stored = hash("correct horse battery").unwrap();
        for _ in 0..3 {
            assert!(pool.verify("correct horse battery".into(), Some(stored.clone())).await);
            assert!(!pool.verify("wrong horse battery".into(), Some(stored.clone())).await);
        }
        let lighter = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8_192, 1, 1, None).unwrap())
            .hash_password(b"another password")
            .unwrap()
            .to_string();
        assert!(pool.verify("another password".into(), Some(lighter)).await);
        assert!(!pool.verify("anything".into(), None).await);
    }

    #[test]
    fn new_passwords_need_a_sensible_length() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pass").is_ok());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_LENGTH + 1)).is_err());
    }
}
