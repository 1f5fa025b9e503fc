//! Static universe data (placeholder until the generated tables land).
