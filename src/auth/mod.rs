//! Signing in and out, password hashing, and the sign-in throttle.
pub mod handlers;
pub mod password;
pub mod rules;
pub mod service;
pub mod throttle;
