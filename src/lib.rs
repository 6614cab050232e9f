//! Incident Desk: incident management for IT service providers.
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod forms;
pub mod import;
pub mod incidents;
pub mod records;
pub mod schema;
pub mod service_levels;
pub mod users;
pub mod web;
