import numpy as np
from utils import *


class Layer(object):
    __slots__ = ("weights", "biases", "activation", "inputs", "outputs")

    def __init__(self, n_inputs, n_neurons, activation_function):
        self.weights = np.random.uniform(-1, 1, (n_neurons, n_inputs))
        self.biases = np.zeros((n_neurons, 1))
        self.activation = activation_function
        self.inputs = None
        self.outputs = None

    def forward(self, inputs):
        self.inputs = np.array(inputs, dtype=float).reshape(-1, 1)
        self.outputs = self.weights @ self.inputs + self.biases
        return self.activation(self.outputs)

    def backward(self, da, learning_rate):
        dz = da * self.activation.derivative(self.outputs)
        print("debug: dz", dz.ravel())
        d_weights = dz @ self.inputs.T
        da_prev = self.weights.T @ dz
        self.weights = self.weights - learning_rate * d_weights
        self.biases = self.biases - learning_rate * dz
        return da_prev


class Perceptron:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, training_data, labels, epochs, learning_rate):
        for epoch in range(epochs):
            total = np.float32(0)
            for idx, (x, y) in enumerate(zip(training_data, labels)):
                y_hat = self.forward(x)
                loss = -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
                print(f"epoch {epoch} example {idx} loss {loss.item():.6f} y_hat {y_hat.item():.4f}")
                total += np.float32(loss.item())
                da = (y_hat - y) / (y_hat * (1 - y_hat))
                for layer in reversed(self.layers):
                    da = layer.backward(da, learning_rate)
            print(f"Loss at epoch {epoch + 1}: {total / len(training_data):.3f}")
