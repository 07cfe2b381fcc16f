namespace Vae.MLNet;

/// <summary>The draws of <c>new Random(seed)</c> (.NET's seeded generator, Knuth's subtractive method, whose sequence
/// .NET keeps unchanged for compatibility), with what <see cref="Random"/> cannot do: copying its state and skipping
/// ahead. A lazy <c>Generate</c> gives the rows an eager one drew from a single <see cref="Random"/> column after
/// column: each column reads its own copy, skipped to where that column's draws began.</summary>
internal sealed class SeededDraws : Random
{
    private readonly int[] _seedArray;
    private int _inext;
    private int _inextp;

    public SeededDraws(int seed)
        : base(0)
    {
        _seedArray = new int[56];
        var subtraction = seed == int.MinValue ? int.MaxValue : Math.Abs(seed);
        var mj = 161803398 - subtraction;
        _seedArray[55] = mj;
        var mk = 1;
        var ii = 0;
        for (var i = 1; i < 55; i++)
        {
            if ((ii += 21) >= 55)
            {
                ii -= 55;
            }

            _seedArray[ii] = mk;
            mk = mj - mk;
            if (mk < 0)
            {
                mk += int.MaxValue;
            }

            mj = _seedArray[ii];
        }

        for (var k = 1; k < 5; k++)
        {
            for (var i = 1; i < 56; i++)
            {
                var n = i + 30;
                if (n >= 55)
                {
                    n -= 55;
                }

                _seedArray[i] -= _seedArray[1 + n];
                if (_seedArray[i] < 0)
                {
                    _seedArray[i] += int.MaxValue;
                }
            }
        }

        _inext = 0;
        _inextp = 21;
    }

    private SeededDraws(SeededDraws other)
        : base(0)
    {
        _seedArray = (int[])other._seedArray.Clone();
        _inext = other._inext;
        _inextp = other._inextp;
    }

    /// <summary>A generator in this one's state: it draws what this one would draw next.</summary>
    public SeededDraws Copy() => new(this);

    /// <summary>Moves past <paramref name="draws"/> draws.</summary>
    public void Skip(long draws)
    {
        for (long i = 0; i < draws; i++)
        {
            InternalSample();
        }
    }

    public override double NextDouble() => Sample();

    protected override double Sample() => InternalSample() * (1.0 / int.MaxValue);

    public override int Next() => InternalSample();

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)(Sample() * maxValue);
    }

    private int InternalSample()
    {
        var locINext = _inext;
        if (++locINext >= 56)
        {
            locINext = 1;
        }

        var locINextp = _inextp;
        if (++locINextp >= 56)
        {
            locINextp = 1;
        }

        var retVal = _seedArray[locINext] - _seedArray[locINextp];
        if (retVal == int.MaxValue)
        {
            retVal--;
        }

        if (retVal < 0)
        {
            retVal += int.MaxValue;
        }

        _seedArray[locINext] = retVal;
        _inext = locINext;
        _inextp = locINextp;
        return retVal;
    }
}
