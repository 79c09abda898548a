# mlm.shaders.cmake — the encoder ops of DistilBERT (host/ops/vk_bert.c).
n2g_shader(bert_attention bert_attention.comp)
n2g_shader(bert_attention_rows bert_attention.comp DEFINES ROWS)
n2g_shader(bert_gelu_erf bert_gelu_erf.comp)
