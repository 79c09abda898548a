// ew_common.glsl — helpers shared by the n2g compute shaders.

// GPT-2 gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), tanh written with exp
// (some drivers' tanh returns NaN for large inputs). exp overflow gives +-1 exactly.
float n2g_gelu(float x) {
    float u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
    float t = 1.0 - 2.0 / (exp(2.0 * u) + 1.0);
    return 0.5 * x * (1.0 + t);
}
