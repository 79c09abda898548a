# One line per shader variant: n2g_shader(NAME SOURCE [DEFINES ...]). Owned by host/vk + ops work.
