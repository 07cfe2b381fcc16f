namespace Vae.MLNet.Columns;

/// <summary>What one reading of the training data gave: its row count and an order-independent hash of its rows.</summary>
internal readonly record struct DataFingerprint(long Rows, ulong Hash);
