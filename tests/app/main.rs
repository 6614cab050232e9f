//! Integration tests, in one binary so they share one build and one database cluster.
mod access;
mod admin;
mod audit;
mod auth;
mod browser;
mod budget;
mod concurrency;
mod dashboards;
mod demo;
mod faults;
mod fixtures;
mod import;
mod incidents;
mod procedures;
mod routes;
mod schema;
mod support;
