//! SQL over the lake with DataFusion (being built)
