using System.Globalization;

/// <summary>The examples' command lines: positional arguments, <c>--name value</c> options and <c>--flag</c>
/// switches. An unknown option or a value that does not parse stops the program with a message naming it.</summary>
internal sealed class ExampleArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private ExampleArgs(List<string> positional) => Positional = positional;

    /// <summary>The arguments that are not options, in order.</summary>
    public IReadOnlyList<string> Positional { get; }

    /// <summary>Splits <paramref name="args"/>; <paramref name="flags"/> are the options that take no value.</summary>
    public static ExampleArgs Parse(string[] args, params string[] flags)
    {
        var positional = new List<string>();
        var parsed = new ExampleArgs(positional);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(args[i]);
            }
            else if (flags.Contains(args[i]))
            {
                parsed._options[args[i]] = null;
            }
            else if (i + 1 < args.Length)
            {
                parsed._options[args[i]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"option {args[i]} needs a value");
            }
        }

        return parsed;
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        return _options.ContainsKey(name);
    }

    public string String(string name, string fallback)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var value) && value is not null ? value : fallback;
    }

    public string? OptionalString(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var value) ? value : null;
    }

    public int Int(string name, int fallback, int minimum = 1)
    {
        var text = String(name, fallback.ToString(CultureInfo.InvariantCulture));
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < minimum)
        {
            throw new ArgumentException($"option {name}: '{text}' is not a whole number of at least {minimum}");
        }

        return value;
    }

    public double[] Doubles(string name, double[] fallback)
    {
        var text = OptionalString(name);
        if (text is null)
        {
            return fallback;
        }

        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0)
            {
                throw new ArgumentException($"option {name}: '{part}' is not a non-negative number");
            }

            values.Add(value);
        }

        return values.Count > 0 ? values.ToArray() : throw new ArgumentException($"option {name} lists no values");
    }

    /// <summary>Throws if an option was given that the program never asked for (a typo, most likely).</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_read.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"unknown option {string.Join(", ", unknown)}");
        }
    }
}
