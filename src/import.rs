//! Import of candle files (Parquet, CSV, Binance bulk dumps) into the lake (being built)
