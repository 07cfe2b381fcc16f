using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: Vae.MLNet.ProcessCheck <model.zip> <data.idv> <column> <output.txt>
// Loads the model and the data (ML.NET binary format), transforms, and writes every value of <column> as the hex
// of its bits, one row per line.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Vae.MLNet.ProcessCheck <model.zip> <data.idv> <column> <output.txt>");
    return 2;
}

var ml = new MLContext(seed: 0);
var model = ml.Model.Load(args[0], out _);
var data = ml.Data.LoadFromBinary(args[1]);
var output = model.Transform(data);
var column = output.Schema[args[2]];
using var writer = new StreamWriter(args[3]);
using var cursor = output.GetRowCursor([column]);
var getter = cursor.GetGetter<VBuffer<float>>(column);
var value = default(VBuffer<float>);
while (cursor.MoveNext())
{
    getter(ref value);
    writer.WriteLine(string.Join(' ', value.DenseValues().Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8", CultureInfo.InvariantCulture))));
}

return 0;
