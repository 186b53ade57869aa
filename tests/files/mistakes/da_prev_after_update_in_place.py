"""Updates the weights in place with -=, then computes da_prev from them."""

import numpy as np


class Layer:
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
        dz = np.multiply(da, self.activation.derivative(self.outputs))
        self.weights -= learning_rate * np.dot(dz, self.inputs.T)
        self.biases -= learning_rate * dz
        return np.dot(self.weights.T, dz)


class Perceptron:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, training_data, labels, epochs, learning_rate):
        for epoch in range(epochs):
            total_loss = 0.0
            for x, y in zip(training_data, labels, strict=True):
                y_hat = self.forward(x)
                loss = -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
                total_loss += loss.item()
                da = (y_hat - y) / (y_hat * (1 - y_hat))
                for layer in reversed(self.layers):
                    da = layer.backward(da, learning_rate)
            average_loss = total_loss / len(training_data)
            print(f"Loss at epoch {epoch + 1}: {average_loss:.3f}")
