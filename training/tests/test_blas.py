import os
import subprocess
import sys
import unittest

from relay_train import blas

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python(code: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    out = subprocess.run([sys.executable, "-c", code], env={**base, "PYTHONPATH": HERE, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


# torch's first matrix product loads OpenBLAS; the package import must come before it
AFTER_IMPORT = ("import relay_train, torch; torch.ones(4, 4) @ torch.ones(4, 4); "
                "from relay_train import blas; import os; print(os.environ['OPENBLAS_CORETYPE'], blas.core_name())")


class BlasPinTest(unittest.TestCase):
    def test_importing_the_package_pins_the_kernels_before_torch_loads_them(self):
        self.assertEqual(python(AFTER_IMPORT), f"{blas.PINNED_CORE} {blas.PINNED_CORE}")

    def test_an_explicit_choice_is_kept(self):
        self.assertEqual(python(AFTER_IMPORT, OPENBLAS_CORETYPE="Haswell").split()[0], "Haswell")
        self.assertEqual(python("import relay_train, os; print(os.environ['OPENBLAS_CORETYPE'])",
                                OPENBLAS_CORETYPE="Zen"), "Zen")

    def test_core_name_is_unknown_before_openblas_loads(self):
        self.assertEqual(python("from relay_train import blas; print(blas.core_name())"), "unknown")


if __name__ == "__main__":
    unittest.main()
