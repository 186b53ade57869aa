"""Replace the worker's request handlers with ones that reply malformed data.

The student's code runs inside the worker process, so it can reach the
handler table of the serve() loop through the call stack.
"""
import sys

import numpy as np
from utils import relu, sigmoid

VARIANT = "fit_layers_int"

frame = sys._getframe()
while frame is not None and "handlers" not in frame.f_locals:
    frame = frame.f_back
handlers = frame.f_locals["handlers"]
real_backward, real_fit = handlers["backward"], handlers["fit"]


def arr(shape, data):
    return {"type": "ndarray", "shape": list(shape), "dtype": "float64", "data": data}


def fake_backward(request):
    n_out, n_in = request["layer"]["n_neurons"], request["layer"]["n_inputs"]
    if VARIANT == "strings_in_data":
        bad = arr((n_out, n_in), ["x"] * (n_out * n_in))
        call = {"before": {"weights": bad, "biases": bad}, "weights": bad, "biases": bad, "returned": bad}
        return {"sequences": [{"calls": [call], "error": None}], "output": {"stdout": None, "stderr": None}}
    if VARIANT == "sequences_string":
        return {"sequences": "abc", "output": {"stdout": None, "stderr": None}}
    if VARIANT == "error_string":
        return {"sequences": [{"calls": [], "error": "boom"}], "output": {"stdout": None, "stderr": None}}
    if VARIANT == "shape_string":
        bad = {"type": "ndarray", "shape": ["a", "b"], "data": []}
        call = {"before": {"weights": bad, "biases": bad}, "weights": bad, "biases": bad, "returned": bad}
        return {"sequences": [{"calls": [call], "error": None}], "output": {"stdout": None, "stderr": None}}
    if VARIANT == "huge_shape":
        bad = {"type": "ndarray", "shape": [10**12, 10**12], "data": [1.0]}
        call = {"before": {"weights": bad, "biases": bad}, "weights": bad, "biases": bad, "returned": bad}
        return {"sequences": [{"calls": [call], "error": None}], "output": {"stdout": None, "stderr": None}}
    if VARIANT == "output_garbage":
        return {"sequences": [], "output": {"stdout": {"head": 5, "tail": [], "total": "x", "epoch_lines": [1, None]}, "stderr": 7}}
    if VARIANT == "notes_garbage":
        reply = real_backward(request)
        reply["output"] = "zzz"
        return reply
    return real_backward(request)


def fake_fit(request):
    if VARIANT == "fit_lines_not_strings":
        return {"error": None, "stage": "fit", "layers": [], "output": {"stdout": {"head": "", "tail": "", "total": 0, "epoch_lines": [1, 2, {"a": 1}]}, "stderr": None}}
    if VARIANT == "fit_layers_int":
        return {"error": None, "stage": "fit", "layers": 5, "output": {"stdout": None, "stderr": None}}
    if VARIANT == "fit_error_list":
        return {"error": [1, 2], "stage": "fit", "output": {"stdout": None, "stderr": None}}
    return real_fit(request)


handlers["backward"] = fake_backward
handlers["fit"] = fake_fit


class Layer:
    def __init__(self, n_inputs, n_neurons, activation_function):
        self.weights = np.random.uniform(-1, 1, (n_neurons, n_inputs))
        self.biases = np.zeros((n_neurons, 1))
        self.activation = activation_function

    def forward(self, inputs):
        self.inputs = np.array(inputs, dtype=float).reshape(-1, 1)
        self.outputs = self.weights @ self.inputs + self.biases
        return self.activation(self.outputs)

    def backward(self, da, learning_rate):
        raise NotImplementedError


class Perceptron:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, training_data, labels, epochs, learning_rate):
        raise NotImplementedError
