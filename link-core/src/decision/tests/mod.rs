//! Decision tests: a data-driven table over platform x in-app x bot x installed x link
//! overrides x app config, and property-style checks with hostile link data and queries.

mod fixtures;
mod hostile;
mod table;
