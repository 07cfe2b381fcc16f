namespace Vae.MLNet;

/// <summary>The activation between the hidden layers of the encoder and decoder.</summary>
public enum VaeActivation
{
    /// <summary>max(0, x) (the default).</summary>
    Relu = 0,

    /// <summary>x for x &gt; 0, else 0.01 x.</summary>
    LeakyRelu,

    /// <summary>x for x &gt; 0, else exp(x) - 1.</summary>
    Elu,

    /// <summary>x * sigmoid(x) (also called swish).</summary>
    Silu,

    /// <summary>tanh(x).</summary>
    Tanh,
}
