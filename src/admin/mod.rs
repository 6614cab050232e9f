//! Administration of clients, users, vendors, products, infrastructure components, subscriptions and SLAs.
//! Each record type is described once (`resources`); the pages, checks and queries follow the description.
pub mod handlers;
pub mod queries;
pub mod resources;
pub mod rules;
pub mod service;
pub mod spec;
pub mod tiers;
pub mod view;
