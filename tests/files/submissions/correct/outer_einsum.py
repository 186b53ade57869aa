import numpy as np
from utils import relu, sigmoid, X_train, y_train


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
        dz = np.multiply(da, self.activation.derivative(self.outputs))
        d_weights = np.outer(dz.ravel(), self.inputs.ravel())
        d_biases = dz.copy()
        da_prev = np.einsum("ji,jk->ik", self.weights, dz)
        self.weights -= learning_rate * d_weights
        self.biases -= learning_rate * d_biases
        return da_prev


class Perceptron:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, training_data, labels, epochs, learning_rate):
        n = training_data.shape[0]
        for epoch in range(epochs):
            losses = []
            for i in range(n):
                y = labels[i]
                p = self.forward(training_data[i]).item()
                # log1p form of the BCE
                losses.append(-(y * np.log(p) + (1 - y) * np.log1p(-p)))
                da = np.array([[(p - y) / (p * (1 - p))]])
                for layer in self.layers[::-1]:
                    da = layer.backward(da, learning_rate)
            print("Loss at epoch {}: {:.3f}".format(epoch + 1, np.mean(losses)))
