//! The one clock the product reads. Production uses the system clock; tests may pin it.
use chrono::{DateTime, SubsecRound, Utc};
use std::sync::{Arc, RwLock};

#[derive(Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<RwLock<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stays at `at` until `set` moves it.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self { fixed: Some(Arc::new(RwLock::new(at))) }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(fixed) = &self.fixed {
            *fixed.write().expect("clock lock") = at;
        }
    }

    /// Now, in UTC, at the microsecond precision PostgreSQL stores, so what is hashed is what is read back.
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &self.fixed {
            Some(fixed) => *fixed.read().expect("clock lock"),
            None => Utc::now(),
        };
        now.trunc_subsecs(6)
    }
}
