//! Battle intel for an alliance, corporation or character (being written).
