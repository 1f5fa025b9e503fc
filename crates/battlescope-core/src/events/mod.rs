//! Event envelopes and payloads of the bus (being written).
