//! The forms backend of a Norwegian municipality, as a library; `forms` is a thin binary
//! over it (see [`cli`]).
//!
//! The map, a concern a module (ARCHITECTURE.md has the whole picture):
//!
//! - [`schema`]: the schema language: load, check, validate answers.
//! - [`submission`]: the way of a submission: validate, seal, store, receipt.
//! - [`limit`]: the hourly limit on submissions from one network address.
//! - [`caseworker`]: tokens, queue access, and the caseworker's `pull` client.
//! - [`privacy`]: the privacy lifecycle: deletion when retention ends.
//! - [`vault`]: retiring a field-vault key: re-encrypting what is stored.
//! - [`metrics`]: counts for the operators' monitoring, served at `/metrics`.
//! - [`store`]: SQLite and PostgreSQL behind one interface, with group commit.
//! - [`web`]: TLS, routes, pages, JSON API. Thin: parse, call the domain, render.
//! - [`config`], [`clock`], [`i18n`], [`dev`], [`cli`].

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod auth;
pub mod bounce;
pub mod caseworker;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dev;
pub mod files;
pub mod guard;
pub mod i18n;
pub mod limit;
pub mod mail;
pub mod metrics;
pub mod newsletter;
pub mod privacy;
pub mod schema;
pub mod store;
pub mod submission;
pub mod vault;
pub mod web;
