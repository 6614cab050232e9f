//! Measures the forecast on the history: see `replay`.
