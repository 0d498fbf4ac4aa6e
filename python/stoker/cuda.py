"""CUDA IPC for `--sink shm-gpu`: open the worker's exported device slots (ctypes to the CUDA runtime,
`cudaIpcOpenMemHandle`) and wrap a sample as a torch tensor on the device through `__cuda_array_interface__`.

Each slot is opened once per process and closed by `IpcSlots.close()` (and at exit), before the worker frees it.
No copy: a tensor is the worker's slot memory, valid until its batch is released.
"""

import atexit
import ctypes
import ctypes.util
import glob
import os

CUDA_IPC_MEM_LAZY_ENABLE_PEER_ACCESS = 1
HANDLE_LENGTH = 64

_runtime = None
_runtime_error = None


class _IpcHandle(ctypes.Structure):
    _fields_ = [("reserved", ctypes.c_char * HANDLE_LENGTH)]


def _candidates():
    names = []
    for var in ("CUDA_HOME", "CUDA_PATH"):
        home = os.environ.get(var)
        if home:
            names += sorted(glob.glob(os.path.join(home, "lib64", "libcudart.so*")), reverse=True)
            names += sorted(glob.glob(os.path.join(home, "lib", "libcudart.so*")), reverse=True)
    names += ["/usr/local/cuda/lib64/libcudart.so"]
    names += sorted(glob.glob("/usr/local/cuda*/lib64/libcudart.so*"), reverse=True)
    found = ctypes.util.find_library("cudart")
    if found:
        names.append(found)
    names += ["libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"]
    try:  # the runtime PyTorch's wheel ships, where there is no CUDA toolkit
        import nvidia.cuda_runtime  # noqa: F401
        for path in nvidia.cuda_runtime.__path__:
            names += sorted(glob.glob(os.path.join(path, "lib", "libcudart.so*")), reverse=True)
    except ImportError:
        pass
    return names


def runtime():
    """The CUDA runtime library, loaded once; raises OSError naming every place tried."""
    global _runtime, _runtime_error
    if _runtime is not None:
        return _runtime
    if _runtime_error is not None:
        raise OSError(_runtime_error)
    tried = []
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            tried.append(name)
            continue
        lib.cudaSetDevice.argtypes = [ctypes.c_int]
        lib.cudaIpcOpenMemHandle.argtypes = [ctypes.POINTER(ctypes.c_void_p), _IpcHandle, ctypes.c_uint]
        lib.cudaIpcCloseMemHandle.argtypes = [ctypes.c_void_p]
        lib.cudaGetErrorString.restype = ctypes.c_char_p
        lib.cudaGetErrorString.argtypes = [ctypes.c_int]
        _runtime = lib
        return lib
    _runtime_error = "libcudart.so (the CUDA runtime) not found; tried " + ", ".join(dict.fromkeys(tried))
    raise OSError(_runtime_error)


def unavailable_reason():
    """None when torch sees a CUDA device and the CUDA runtime loads, else one line saying what is missing."""
    try:
        import torch
    except ImportError as e:
        return f"torch is not installed ({e})"
    if not torch.cuda.is_available():
        return "torch.cuda.is_available() is False (no CUDA device, driver or CUDA build of torch)"
    try:
        runtime()
    except OSError as e:
        return str(e)
    return None


def _check(result, call):
    if result != 0:
        message = runtime().cudaGetErrorString(result).decode("ascii", "replace")
        raise RuntimeError(f"{call} failed: {message} ({result})")


class DeviceBytes:
    """`length` bytes at a device address, for `torch.as_tensor(obj, device=...)` (no copy)."""

    def __init__(self, pointer, length):
        self.__cuda_array_interface__ = {
            "shape": (length,),
            "typestr": "|u1",
            "data": (pointer, False),
            "version": 3,
            "strides": None,
            "stream": None,  # the worker's copy completed before the batch was published
        }


class IpcSlots:
    """A worker's device slots, opened in this process from their 64-byte IPC handles, each once."""

    def __init__(self, device, slot_length, handles):
        self.device = device
        self.slot_length = slot_length
        self._handles = list(handles)
        self._pointers = [None] * len(self._handles)
        self._closed = False
        atexit.register(self.close)

    def pointer(self, slot):
        """The slot's address in this process, opening its handle the first time."""
        if self._closed:
            raise RuntimeError("the device slots were closed")
        pointer = self._pointers[slot]
        if pointer is None:
            lib = runtime()
            _check(lib.cudaSetDevice(self.device), f"cudaSetDevice({self.device})")
            handle = _IpcHandle()
            ctypes.memmove(ctypes.byref(handle), self._handles[slot], HANDLE_LENGTH)
            opened = ctypes.c_void_p()
            _check(lib.cudaIpcOpenMemHandle(ctypes.byref(opened), handle, CUDA_IPC_MEM_LAZY_ENABLE_PEER_ACCESS),
                   f"cudaIpcOpenMemHandle of slot {slot} on device {self.device}")
            pointer = opened.value
            self._pointers[slot] = pointer
        return pointer

    def tensor(self, slot, offset, length):
        """`length` bytes at `offset` in the slot as a uint8 torch tensor on the device (no copy)."""
        import torch
        if offset < 0 or offset + length > self.slot_length:
            raise IndexError(f"bytes {offset}..{offset + length} outside slot {slot} of {self.slot_length} bytes")
        return torch.as_tensor(DeviceBytes(self.pointer(slot) + offset, length), device=f"cuda:{self.device}")

    @property
    def opened(self):
        return sum(p is not None for p in self._pointers)

    def close(self):
        """Close every opened handle (the worker may then free the slots). Waits for this process' work on the
        device first, so no kernel still reads a slot."""
        if self._closed:
            return
        self._closed = True
        if not any(p is not None for p in self._pointers):
            return
        lib = runtime()
        lib.cudaSetDevice(self.device)
        lib.cudaDeviceSynchronize()
        for slot, pointer in enumerate(self._pointers):
            if pointer is not None:
                lib.cudaIpcCloseMemHandle(ctypes.c_void_p(pointer))
                self._pointers[slot] = None
