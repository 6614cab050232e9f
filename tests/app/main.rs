//! Integration tests, in one binary so they share one build and one database cluster.
mod audit;
mod auth;
mod import;
mod schema;
mod support;
