//! A custom contact mapper for the `custom-mapper` example binary (see `docs/custom-mapper.md`).
