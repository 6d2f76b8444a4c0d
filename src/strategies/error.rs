//! Errors of strategy lookup, parameter validation and grid loading.

/// What went wrong when resolving a strategy or its parameters.
#[derive(Debug, thiserror::Error)]
pub enum StrategyError {
    #[error("unknown strategy `{name}`; valid strategies: {valid}")]
    UnknownStrategy { name: String, valid: String },
    #[error("parameters of `{strategy}` must be a JSON object, got `{got}`")]
    NotAnObject { strategy: &'static str, got: String },
    #[error("unknown parameter `{param}` for `{strategy}`; its parameters are: {allowed}")]
    UnknownParam { strategy: &'static str, param: String, allowed: String },
    #[error("missing parameter `{param}` for `{strategy}`; its parameters are: {allowed}")]
    MissingParam { strategy: &'static str, param: &'static str, allowed: String },
    #[error("parameter `{param}` of `{strategy}` must be {expected}, got `{got}`")]
    WrongType { strategy: &'static str, param: &'static str, expected: &'static str, got: String },
    #[error("parameter `{param}` of `{strategy}` is `{value}`, outside the allowed range {min}..={max}")]
    OutOfRange { strategy: &'static str, param: &'static str, value: String, min: String, max: String },
    #[error("`{strategy}` needs `{lesser}` < `{greater}`, got `{lesser}` = `{lesser_value}` and `{greater}` = `{greater_value}`")]
    Constraint {
        strategy: &'static str,
        lesser: &'static str,
        greater: &'static str,
        lesser_value: String,
        greater_value: String,
    },
    #[error("grid entry {index}: {source}")]
    GridEntry {
        index: usize,
        #[source]
        source: Box<StrategyError>,
    },
    #[error("grid entry {index} must be an object with `strategy` (string) and `params` (object), got `{got}`")]
    GridShape { index: usize, got: String },
    #[error("grid file `{path}` must hold a JSON list of {{\"strategy\", \"params\"}} objects")]
    GridNotAList { path: String },
    #[error("cannot read grid file `{path}`")]
    GridIo {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("grid file `{path}` is not valid JSON")]
    GridJson {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}
