from dataclasses import dataclass, field
import numpy as np
from utils import relu, sigmoid


@dataclass
class Layer:
    n_inputs: int
    n_neurons: int
    activation: object
    _W: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        self._W = np.random.uniform(-1, 1, (self.n_neurons, self.n_inputs))
        self._b = np.zeros((self.n_neurons, 1))

    @property
    def weights(self):
        return self._W

    @weights.setter
    def weights(self, value):
        self._W = np.asarray(value, dtype=float)

    @property
    def biases(self):
        return self._b

    @biases.setter
    def biases(self, value):
        self._b = np.asarray(value, dtype=float)

    def forward(self, inputs):
        self.x = np.array(inputs, dtype=float).reshape(-1, 1)
        self.z = self.weights @ self.x + self.biases
        self.outputs = self.activation(self.z)  # stores a, not z
        return self.outputs

    def backward(self, da, learning_rate, clip=None):
        dz = da * self.activation.derivative(self.z)
        grads = {"W": dz @ self.x.T, "b": dz}
        da_prev = self.weights.T @ dz
        for name, attr in (("W", "weights"), ("b", "biases")):
            setattr(self, attr, getattr(self, attr) - learning_rate * grads[name])
        return da_prev


class Base:
    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    __call__ = forward


class Perceptron(Base):
    def __init__(self, layers, name="mlp"):
        self.layers = tuple(layers)
        self.name = name
        self.history = []

    def fit(self, training_data, labels, epochs, learning_rate):
        i_epoch = 0
        while i_epoch < epochs:
            s = 0.0
            for i in range(training_data.shape[0]):
                x = training_data[i : i + 1].T
                y = labels[i]
                p = self(x)
                s += -(y * np.log(p) + (1 - y) * np.log(1 - p)).item()
                g = (p - y) / (p * (1 - p))
                for k in range(len(self.layers) - 1, -1, -1):
                    g = self.layers[k].backward(g, learning_rate)
            self.history.append(s / training_data.shape[0])
            i_epoch += 1
            print("Loss at epoch %d: %.3f" % (i_epoch, self.history[-1]), flush=True)
        return self.history
