//! Integration tests, in one binary so they share one build and one database cluster.
mod admin;
mod audit;
mod auth;
mod browser;
mod concurrency;
mod dashboards;
mod demo;
mod fixtures;
mod hostile;
mod import;
mod incidents;
mod procedures;
mod routes;
mod schema;
mod support;
