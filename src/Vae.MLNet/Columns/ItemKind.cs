namespace Vae.MLNet.Columns;

/// <summary>The item types an input column may have.</summary>
internal enum ItemKind : byte
{
    Single, Double, SByte, Byte, Int16, UInt16, Int32, UInt32, Int64, UInt64, Boolean, Text, Key,
}
