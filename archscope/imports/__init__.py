"""Any ``nn.Module`` as an archscope network.

``from_module`` reads the module with torch.fx's symbolic trace when it can
(``fx_front``) and otherwise records the calls it makes while it runs (``eager_front``);
either way one forward pass on meta tensors (fake or real ones when it must,
``engines``) gives every shape, and ``importer`` maps each call onto archscope's ops
(``handlers``). ``load_factory`` imports ``package.module:factory`` from the current
folder too, as ``python -m`` would.
"""

from archscope.imports.importer import ModuleImportError
from archscope.imports.module import from_module, load_factory, parse_input_shape

__all__ = ["ModuleImportError", "from_module", "load_factory", "parse_input_shape"]
